import { vectorTests } from './vectors.ts';

vectorTests('mmu');
