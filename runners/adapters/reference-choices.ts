// The reference engine's implementation choices, apart from the engine: `ptvec serve` says hello
// before it loads the engine.

/**
 * The choices the engine makes where the architectures leave one open (README "Model choices"):
 * arm64's PAMax is 48 bits (no FEAT_LPA), so a 64K-granule level-1 block is not allowed
 * (Arm ARM AArch64.BlockDescSupported).
 */
export const REFERENCE_CHOICES: Readonly<Record<string, string>> = { arm64PAMax: '48' };
