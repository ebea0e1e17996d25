import { vectorTests } from './vectors.ts';

vectorTests('uffd');
