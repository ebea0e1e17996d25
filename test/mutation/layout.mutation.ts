import { vectorTests } from './vectors.ts';

vectorTests('layout');
