/*
 * nn.h - bex's small CNN inference engine (internal to the library).
 *
 * Batch-1 NHWC float tensors and the handful of ops the three face networks need. Buffers
 * are owned by the caller: a network sizes every activation and scratch buffer once, when
 * it is loaded, so an inference allocates nothing.
 *
 * Layer parameters are prepared once at load (nn_conv_init / nn_dwconv_init): weights are
 * copied, optionally scaled per output channel (folded batch norm / scale layers) and
 * packed for the GEMM kernel chosen at run time from the CPU's features.
 *
 * Padding follows TensorFlow: SAME gives out = ceil(in / stride) and puts the odd pixel of
 * padding after (bottom / right); VALID gives out = ceil((in - k + 1) / stride).
 */
#ifndef BEX_NN_H
#define BEX_NN_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- tensors */

typedef struct nn_tensor {
    int h, w, c; /* batch is 1; element (y, x, ch) is d[(y * w + x) * c + ch] */
    float *d;
} nn_tensor;

typedef enum nn_pad { NN_PAD_SAME = 0, NN_PAD_VALID = 1 } nn_pad;
typedef enum nn_act { NN_ACT_NONE = 0, NN_ACT_RELU = 1, NN_ACT_RELU6 = 2 } nn_act;

/* Output size along one axis for a window of k with the given stride and padding. */
int nn_out_size(int in, int k, int stride, nn_pad pad);

/* ---------------------------------------------------------------- weights (tfjs manifests) */

typedef struct nn_weights nn_weights;

/* Loads a tfjs weights manifest (JSON: [{"paths":[...], "weights":[{name, shape, dtype,
 * quantization?}]}]) and the .bin files it names (resolved next to the manifest; a group's
 * paths are its shards, concatenated in order). float32 tensors are read as-is; uint8- and
 * uint16-quantised ones are dequantised as value = min + q * scale (in double, then rounded to
 * float, as tfjs; float16 ones are widened); int32 tensors become floats (quantised ones
 * rounded, as tfjs). Checks that the .bin sizes match the manifest exactly. Limits: 16 MiB of
 * JSON, 65536 tensors, rank 8, 2^28 weights in all; paths may not be absolute or contain "..".
 * Returns BEX_OK (*out set; free with nn_weights_free) or BEX_ERR_IO (a file missing or
 * unreadable) / BEX_ERR_MODEL (anything malformed, naming the file and tensor) /
 * BEX_ERR_NOMEM, with a message in err; *out is untouched on failure. */
int nn_weights_load(const char *manifest_path, nn_weights **out, char *err, size_t errlen);

/* Finds a tensor by name and checks its shape: rank must equal `rank` and each dims[i] must
 * match unless it is -1 (dims NULL: any shape of that rank). Returns a pointer into the
 * weights (64-byte aligned, valid until nn_weights_free) and writes the actual shape to
 * shape_out (if not NULL, room for `rank` ints), or NULL with a message naming the tensor. */
const float *nn_weights_get(const nn_weights *w, const char *name, int rank, const int *dims,
                            int *shape_out, char *err, size_t errlen);

/* Number of tensors in the manifest (for tests). */
int nn_weights_count(const nn_weights *w);

void nn_weights_free(nn_weights *w);

/* ---------------------------------------------------------------- layers */

/* A 2-D convolution with filters [kh][kw][cin][cout] (tfjs HWIO order) and a bias. */
typedef struct nn_conv {
    int kh, kw, cin, cout;
    float *w;     /* owned copy, [kh][kw][cin][cout], after folding */
    float *b;     /* owned, [cout] */
    void *packed; /* owned, w and b packed by nn_pack_b for `kernel` (64-byte aligned floats) */
    const struct nn_kernel *kernel; /* the GEMM kernel chosen at nn_conv_init */
} nn_conv;

/* Copies w (and bias, which may be NULL for zeros), then folds a per-output-channel affine:
 * w[..][o] *= scale[o]; b[o] = b[o] * scale[o] + shift[o] (scale / shift may be NULL for
 * 1 / 0). Packs for the current GEMM kernel (nn_kernel_current). Returns BEX_OK,
 * BEX_ERR_NOMEM (cv is then zeroed; nn_conv_free on it is harmless) or BEX_ERR_ARG for
 * sizes < 1 or too large. nn_conv_free frees what it owns and zeroes it. */
int nn_conv_init(nn_conv *cv, int kh, int kw, int cin, int cout, const float *w,
                 const float *bias, const float *scale, const float *shift);
void nn_conv_free(nn_conv *cv);

/* Scratch floats nn_conv2d needs for an input of in_h x in_w (im2col buffer for a block of
 * output rows, at most about 1 MiB or one block of 84 rows; 0 for 1x1 stride-1
 * convolutions). */
size_t nn_conv2d_scratch(const nn_conv *cv, int in_h, int in_w, int stride, nn_pad pad);

/* y = act(conv(x) + b). y->h, y->w, y->c must already be the output shape and y->d hold
 * room for it; x and y must not overlap. */
void nn_conv2d(const nn_conv *cv, const nn_tensor *x, int stride, nn_pad pad, nn_act act,
               nn_tensor *y, float *scratch);

/* The geometry of a convolution with explicit padding (ONNX-style): strides, the padding
 * before the first row / column (padding after is implied by the output size the caller
 * gives y) and dilations. All >= 1 except the pads (>= 0). */
typedef struct nn_conv_geom {
    int stride_h, stride_w, pad_t, pad_l, dil_h, dil_w;
} nn_conv_geom;

/* Scratch floats nn_conv2d_ex needs for an output of out_h x out_w (0 for a 1x1 stride-1
 * convolution without padding). */
size_t nn_conv2d_ex_scratch(const nn_conv *cv, int out_h, int out_w, const nn_conv_geom *g);

/* As nn_conv2d with explicit geometry: output pixel (oy, ox) reads input rows
 * oy * stride_h - pad_t + ky * dil_h (and columns alike); outside the image is zero. y's shape
 * is the caller's (any out_h, out_w >= 1). */
void nn_conv2d_ex(const nn_conv *cv, const nn_tensor *x, const nn_conv_geom *g, nn_act act,
                  nn_tensor *y, float *scratch);

/* A depthwise convolution with filters [kh][kw][c] (tfjs [kh][kw][c][1]) and a bias. */
typedef struct nn_dwconv {
    int kh, kw, c;
    float *w; /* owned, [kh][kw][c] */
    float *b; /* owned, [c] */
} nn_dwconv;

/* As nn_conv_init, folding a per-channel affine (scale / shift may be NULL); bias NULL is
 * zeros. Same return codes. */
int nn_dwconv_init(nn_dwconv *dw, int kh, int kw, int c, const float *w, const float *bias,
                   const float *scale, const float *shift);
void nn_dwconv_free(nn_dwconv *dw);

/* y = act(depthwise(x) + b); shapes as for nn_conv2d. */
void nn_depthwise(const nn_dwconv *dw, const nn_tensor *x, int stride, nn_pad pad, nn_act act,
                  nn_tensor *y);

/* As nn_depthwise with explicit padding before (pad_t, pad_l) and one stride for both axes,
 * no dilation; y's shape is the caller's. */
void nn_depthwise_ex(const nn_dwconv *dw, const nn_tensor *x, int stride, int pad_t, int pad_l,
                     nn_act act, nn_tensor *y);

/* Pooling; for SAME padding the average counts only pixels inside the image (as TF). */
void nn_maxpool(const nn_tensor *x, int k, int stride, nn_pad pad, nn_tensor *y);
void nn_avgpool(const nn_tensor *x, int k, int stride, nn_pad pad, nn_tensor *y);

/* y = act(a + b), element-wise over equal shapes; y may alias a or b. */
void nn_add(const nn_tensor *a, const nn_tensor *b, nn_act act, nn_tensor *y);

/* In place: act(x). */
void nn_activate(nn_tensor *x, nn_act act);

/* out[c] = mean over (h, w) of x. */
void nn_mean_hw(const nn_tensor *x, float *out);

/* out[n] = bias[n] + sum_k x[k] * w[k][n]; w is [K][N] row-major, bias may be NULL. */
void nn_matvec(const float *x, const float *w, const float *bias, int K, int N, float *out);

/* ---------------------------------------------------------------- GEMM seam */

/* C[M][N] = A[M][K] * B[K][N], row-major with leading dimensions lda, ldb, ldc. */
typedef void (*nn_sgemm_fn)(int M, int N, int K, const float *A, int lda, const float *B,
                            int ldb, float *C, int ldc);

/* A kernel's microkernel: one tile C[mr][nc] (mr <= kernel mr, nc <= kernel nr) of
 *   C = act(bias + A[mr][kc] * B[kc][nr])        flags & NN_UK_ACC clear (bias NULL: zeros)
 *   C = act(C + A[mr][kc] * B[kc][nr])           flags & NN_UK_ACC set (bias unused)
 * A is row-major with leading dimension lda (not packed); B is one packed panel, kc rows of
 * exactly nr floats (columns past nc are zero); bias holds nr floats; act is
 * (flags >> NN_UK_ACT_SHIFT) & 3 as an nn_act. Only the nc columns of C are touched. */
typedef void (*nn_ukernel_fn)(int mr, int nc, int kc, const float *A, size_t lda,
                              const float *B, const float *bias, float *C, size_t ldc,
                              int flags);
#define NN_UK_ACC 1
#define NN_UK_ACT_SHIFT 1

/* A kernel's depthwise row: one output row y[out_w][c] of act(b + depthwise(x)) where the
 * window's top-left input pixel for output column ox is (iy0, ox * stride - pad_l); rows and
 * columns outside [0, in_h) x [0, in_w) count as zeros. w is [kh][kw][c], b is [c]. */
typedef void (*nn_dwrow_fn)(const float *x, int in_h, int in_w, int c, int iy0, int pad_l,
                            int stride, const float *w, int kh, int kw, const float *b,
                            nn_act act, int out_w, float *y);

typedef struct nn_kernel {
    const char *name;   /* "scalar", "avx2", "avx512", "avx512bf16" */
    nn_sgemm_fn sgemm;  /* plain GEMM (packs B as it goes on ~40 KiB of stack; no allocation) */
    /* The pieces nn's ops are built from (src/nn/kernel.c drives them): */
    int mr, nr;         /* microkernel tile: rows of A, columns of a packed B panel */
    int kc;             /* largest K block the driver hands the microkernel */
    nn_ukernel_fn ukernel;
    nn_dwrow_fn dwrow;
} nn_kernel;

/* The kernel in use: the best the CPU supports (avx512 needs AVX-512 F/BW/DQ/VL, avx2 needs
 * AVX2 + FMA), unless BEX_KERNEL names another (scalar | avx2 | avx512 | avx512bf16; a name
 * the CPU cannot run is ignored). avx512bf16 (bf16 products, fp32 sums; its packed panels hold
 * bf16 pairs) is never chosen automatically: it moves results. Chosen once, on first use;
 * thread-safe. */
const nn_kernel *nn_kernel_current(void);
/* A kernel by name if this build and CPU support it, else NULL (for tests and benchmarks). */
const nn_kernel *nn_kernel_by_name(const char *name);
/* Forces a kernel (tests / benchmarks); NULL returns to the automatic choice. Convolutions
 * keep the kernel they were packed for at nn_conv_init; the other ops (depthwise) use the
 * current kernel at each call. Not to be called while another thread runs the nn ops. */
void nn_kernel_set(const nn_kernel *k);

/* ---------------------------------------------------------------- packed GEMM with epilogue */

/* B[K][N] (leading dimension ldb) and a bias[N] (NULL: zeros) packed for kernel k: panels of
 * k->nr columns, each [bias: nr][K rows: nr], zero padded. nn_pack_b_size gives the floats
 * needed (0 on overflow); the buffer should be 64-byte aligned (bex__malloc_aligned). */
size_t nn_pack_b_size(const nn_kernel *k, int K, int N);
void nn_pack_b(const nn_kernel *k, int K, int N, const float *B, size_t ldb, const float *bias,
               float *packed);

/* C[M][N] = act(A[M][K] * B + bias) with B and bias packed by nn_pack_b for the same k:
 * a fully connected layer, or a 1x1 convolution (A the input tensor, lda = its channels).
 * Blocks K, M and N for the caches; allocates nothing (uses about 20 KiB of stack). */
void nn_gemm_packed(const nn_kernel *k, int M, int N, int K, const float *A, size_t lda,
                    const float *packed, nn_act act, float *C, size_t ldc);

#endif
