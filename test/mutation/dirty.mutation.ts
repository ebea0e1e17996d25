import { vectorTests } from './vectors.ts';

vectorTests('dirty');
