/* The part of the three QEMU harnesses that knows nothing about paging: it reads the blob of
 * operations the runner wrote into guest RAM, hands each vector's operations to the arch, and writes
 * the words the arch emits into the result region, which the runner reads from the memory-backend
 * file after QEMU exits.
 *
 * Blob (at BLOB_PA): BLOB_MAGIC, number of vectors, then per vector: its word count and its words.
 * Result (at RESULT_PA): RESULT_MAGIC, vectors done, words used after the 4-word header, END_MAGIC
 * once every vector is done; then per vector: its word count and the words the arch emitted.
 * Words are little-endian 64-bit. */
#ifndef PTVEC_HARNESS_H
#define PTVEC_HARNESS_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define BLOB_MAGIC 0x424c424345565450ull   /* "PTVECBLB" */
#define RESULT_MAGIC 0x534552434556545full /* "PTVECRES" */
#define END_MAGIC 0x444e454345565450ull    /* "PTVECEND" */

/* Exit codes the runner tells apart (arch_exit). */
#define EXIT_DONE 0
#define EXIT_BAD_BLOB 2   /* the blob's magic or framing is wrong */
#define EXIT_BAD_OP 3     /* arch_op did not know an operation */
#define EXIT_OVERFLOW 4   /* the result region is full */
#define EXIT_TRAP 5       /* an exception the harness did not expect */

/* Provided by each arch. */
void *arch_phys(u64 pa);                       /* a pointer through which the harness reaches pa */
void arch_vector_begin(void);                  /* every vector starts from the arch's reset state */
const u64 *arch_op(const u64 *op, const u64 *end); /* run one operation; past it, or 0 if unknown */
void arch_exit(int code) __attribute__((noreturn));

/* Provided by harness.c. */
void emit(u64 word);                           /* append a word to the current vector's result */
void harness_run(u64 blob_pa, u64 blob_bytes, u64 result_pa, u64 result_bytes)
    __attribute__((noreturn));

#endif
