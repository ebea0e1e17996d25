import { vectorTests } from './vectors.ts';

vectorTests('walk');
