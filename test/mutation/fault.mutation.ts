import { vectorTests } from './vectors.ts';

vectorTests('fault');
