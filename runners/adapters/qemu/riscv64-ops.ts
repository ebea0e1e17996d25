// The riscv64 harness's operations (harness/qemu/riscv64/arch.c has the same list) and the machine
// facts the encoder needs: where the harness lives in the guest, the translation modes, and the
// stub page that S- and U-mode execute for a data access.

import type { BlobWriter } from './target.ts';

export const OP = {
  pmp: 1,
  write: 2,
  read: 3,
  satp: 4,
  sfence: 5,
  status: 6,
  access: 7,
} as const;

export const KIND = { load: 0, store: 1, fetch: 2 } as const;
export type AccessKind = keyof typeof KIND;

/** Guest RAM: 0x80000000 upward, 16 GiB + 256 MiB; the vectors own the first 16 GiB. */
export const RAM_BASE = 0x80000000n;
export const RAM_SIZE = 0x410000000n;
export const WINDOW_END = 0x480000000n;
/** harness/qemu/riscv64/riscv64.ld: the stub page (lbu + ecall at 0, sb + ecall at 8). */
export const STUB_PA = 0x480000000n;
export const STUB_STORE = 8n;
export const BLOB_PA = 0x488000000n;
export const RESULT_PA = 0x48c000000n;
export const REGION_BYTES = 0x4000000;
/** Where QEMU's generic loader puts the hart count for the harness. */
export const HARTS_PA = 0x487fff000n;
export const MAX_HARTS = 2;

/** The byte a store writes, and the stamp bytes the candidates hold before a load or store. */
export const STORE_BYTE = 0x5an;
export const STORE_STAMP = 0xa5n;
export const LOAD_STAMP = 0xa0n;
/** Fetch stamps: c.addi4spn with nzuimm = 0 is reserved (priv: RVC), an illegal instruction whose
 * bits QEMU reports in mtval: (k + 1) << 2 for candidate k, k < 7 (rd' = k + 1). */
export const fetchStamp = (k: number): bigint => BigInt(k + 1) << 2n;
export const MAX_CANDIDATES = 7;

/** satp.MODE by translation mode (priv §12.1.11 Table "satp encoding"). */
export const SATP_MODE: Readonly<Record<string, bigint>> = { sv39: 8n, sv48: 9n, sv57: 10n };

/** mcause values (priv §3.1.15). */
export const CAUSE = {
  fetchMisaligned: 0n,
  fetchAccess: 1n,
  illegal: 2n,
  loadAccess: 5n,
  storeAccess: 7n,
  ecallU: 8n,
  ecallS: 9n,
  fetchPage: 12n,
  loadPage: 13n,
  storePage: 15n,
} as const;
/** mprv_access (start.S): the access did not trap. */
export const NO_TRAP = (1n << 64n) - 1n;
export const FAULT_CAUSES: ReadonlySet<bigint> = new Set([0n, 1n, 5n, 7n, 12n, 13n, 15n]);

export const MSTATUS_SUM = 1n << 18n;
export const MSTATUS_MXR = 1n << 19n;
export const MENVCFG_PBMTE = 1n << 62n;

/** PTE bits (priv §12.4). */
export const PTE = { V: 1n, X: 8n, U: 0x10n, A: 0x40n } as const;

/** Bits 39:32 of an operation's header: the hart that runs it. */
const on = (hart: number, code: number | bigint): bigint => BigInt(code) | (BigInt(hart) << 32n);

export const op = {
  pmp: (w: BlobWriter, hart: number, lo: bigint, hi: bigint): void =>
    void w.u64(on(hart, OP.pmp), lo, hi),
  write: (w: BlobWriter, pa: bigint, value: bigint): void => void w.u64(OP.write, pa, value),
  read: (w: BlobWriter, pa: bigint): void => void w.u64(OP.read, pa),
  satp: (w: BlobWriter, hart: number, value: bigint): void => void w.u64(on(hart, OP.satp), value),
  sfence: (w: BlobWriter, hart: number, va: bigint | undefined, asid: bigint | undefined): void =>
    void w.u64(
      on(
        hart,
        BigInt(OP.sfence) |
          (va === undefined ? 0n : 1n << 8n) |
          (asid === undefined ? 0n : 1n << 9n),
      ),
      va ?? 0n,
      asid ?? 0n,
    ),
  status: (w: BlobWriter, hart: number, mstatus: bigint, menvcfg: bigint): void =>
    void w.u64(on(hart, OP.status), mstatus, menvcfg),
  access(
    w: BlobWriter,
    hart: number,
    kind: AccessKind,
    supervisor: boolean,
    mprv: boolean,
    va: bigint,
    pc: bigint,
    stamps: readonly { readonly pa: bigint; readonly stamp: bigint }[],
  ): void {
    w.u64(
      on(
        hart,
        BigInt(OP.access) |
          (BigInt(KIND[kind]) << 8n) |
          ((supervisor ? 1n : 0n) << 10n) |
          ((mprv ? 1n : 0n) << 11n) |
          (BigInt(stamps.length) << 16n) |
          (STORE_BYTE << 24n),
      ),
      va,
      pc,
    );
    for (const s of stamps) w.u64(s.pa, s.stamp);
  },
};
