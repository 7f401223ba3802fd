/*
 * graph.h - a model loaded from a file and run as a graph of the engine's ops (internal).
 *
 *   nn_graph *g;
 *   char err[256];
 *   if (nn_graph_load_onnx("model.onnx", NULL, &g, err, sizeof err) != BEX_OK) die(err);
 *   nn_graph_info in;  nn_graph_input(g, 0, &in);      // name, rank, dims (all fixed)
 *   float *x = ..., *y = ...;                           // sized from the shapes
 *   nn_graph_run(g, (const float *const[]){x}, (float *const[]){y}, err, sizeof err);
 *   nn_graph_free(g);
 *
 * Every input and output is a float32 tensor, passed and returned row-major in the shape the
 * model declares (an ONNX image model usually takes NCHW). Every shape is fixed at load:
 * symbolic dimensions (a batch "N") are set to 1 or to what opt gives, and the shape
 * arithmetic of the graph (Shape, Gather, Concat of constants, ...) is folded then. A model
 * with an operator, attribute or shape the executor cannot run is refused at load with a
 * message naming the operator and the node. All activation buffers are sized at load, so a run
 * allocates nothing. A graph serves one thread at a time.
 */
#ifndef BEX_NN_GRAPH_H
#define BEX_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#define NN_GRAPH_MAX_RANK 8

typedef struct nn_graph nn_graph;

typedef struct nn_graph_options {
    int64_t batch; /* value for a symbolic first dimension; 0 = 1 */
    int keep_denormals; /* 1: nn_graph_run leaves the floating-point mode alone (to measure) */
} nn_graph_options;

typedef struct nn_graph_info {
    const char *name; /* valid until nn_graph_free */
    int rank;
    int64_t dims[NN_GRAPH_MAX_RANK];
    size_t count; /* elements: the product of dims */
} nn_graph_info;

/* Loads an ONNX model (a ModelProto file). opt may be NULL. Returns BEX_OK (*out set) or
 * BEX_ERR_IO / BEX_ERR_MODEL (malformed, too large, or unsupported: the message names the
 * operator or the reason) / BEX_ERR_NOMEM, with a message in err. */
int nn_graph_load_onnx(const char *path, const nn_graph_options *opt, nn_graph **out, char *err,
                       size_t errlen);
/* The same from bytes in memory (fuzzing, tests). */
int nn_graph_load_onnx_mem(const void *data, size_t len, const nn_graph_options *opt,
                           nn_graph **out, char *err, size_t errlen);

/* Loads a TensorFlow Lite model (a .tflite flatbuffer; src/nn/tflite.c): the operators
 * CONV_2D, DEPTHWISE_CONV_2D, ADD, MAX_POOL_2D, PAD, RELU, RESHAPE, CONCATENATION,
 * RESIZE_BILINEAR and DEQUANTIZE (of float16 constants), float32 activations; anything else is
 * refused at load, naming the operator. Inputs and outputs keep TFLite's shapes (NHWC).
 * Returns as nn_graph_load_onnx. */
int nn_graph_load_tflite(const char *path, const nn_graph_options *opt, nn_graph **out, char *err,
                         size_t errlen);
int nn_graph_load_tflite_mem(const void *data, size_t len, const nn_graph_options *opt,
                             nn_graph **out, char *err, size_t errlen);

int nn_graph_input_count(const nn_graph *g);
int nn_graph_output_count(const nn_graph *g);
/* Fills *info for input / output i; returns BEX_OK or BEX_ERR_ARG for i out of range. */
int nn_graph_input(const nn_graph *g, int i, nn_graph_info *info);
int nn_graph_output(const nn_graph *g, int i, nn_graph_info *info);

/* Runs the graph: inputs[i] holds input i's count floats, outputs[i] receives output i's.
 * Denormals are flushed to zero while it runs (the caller's floating-point mode is restored).
 * Returns BEX_OK, or BEX_ERR_ARG for NULL buffers. */
int nn_graph_run(nn_graph *g, const float *const *inputs, float *const *outputs, char *err,
                 size_t errlen);

void nn_graph_free(nn_graph *g);

#endif
