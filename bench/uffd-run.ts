// The UFFDIO_WRITEPROTECT bench in a process of its own: change_protection's call sites see only it.

import { benchUffd } from './uffd.ts';

benchUffd('a fresh process');
