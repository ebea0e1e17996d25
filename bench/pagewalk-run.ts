// The page-walk bench in a process of its own: its call sites see only the bench's callbacks.

import { benchPagewalk } from './pagewalk.ts';

benchPagewalk('a fresh process');
