/*
 * onnx.h - the parsed form of an ONNX ModelProto (internal to src/nn/: onnx.c reads it,
 * graph.c builds an executable graph from it).
 *
 * Only what the executor needs is kept: the graph's nodes (names, operator, inputs, outputs,
 * attributes), its initializers (tensor data widened to float, or to int64 for the integer
 * types) and the declared shapes of its inputs and outputs. Every count, rank, size and name
 * length is capped (see onnx.c), so anything held here is bounded.
 */
#ifndef BEX_NN_ONNX_H
#define BEX_NN_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "nn/graph.h"

/* ONNX TensorProto.DataType values bex meets */
enum {
    ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4, ONNX_INT16 = 5,
    ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_STRING = 8, ONNX_BOOL = 9, ONNX_FLOAT16 = 10,
    ONNX_DOUBLE = 11, ONNX_UINT32 = 12, ONNX_UINT64 = 13
};

typedef struct onnx_tensor {
    char *name;
    int dtype; /* as declared */
    int rank;
    int64_t dims[NN_GRAPH_MAX_RANK];
    size_t count;
    float *f;   /* float, float16 and double data (else NULL) */
    int64_t *i; /* the integer types and bool (else NULL) */
} onnx_tensor;

enum { ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3, ONNX_ATTR_TENSOR = 4,
       ONNX_ATTR_GRAPH = 5, ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7, ONNX_ATTR_STRINGS = 8 };

typedef struct onnx_attr {
    char *name;
    int type; /* ONNX_ATTR_*; 0 if the file did not say (then inferred from the fields set) */
    float f;
    int64_t i;
    char *s; /* NUL-terminated (bytes with a NUL inside are refused) */
    float *floats;
    size_t nfloats;
    int64_t *ints;
    size_t nints;
    onnx_tensor *t;
    int has_subgraph; /* a graph or graphs were given (refused by the executor) */
} onnx_attr;

typedef struct onnx_node {
    char *name, *op, *domain;
    int nin, nout, nattr;
    char **in, **out; /* "" for an omitted optional input */
    onnx_attr *attr;
} onnx_node;

typedef struct onnx_value_info {
    char *name;
    int elem_type;
    int rank; /* -1: no shape given */
    int64_t dims[NN_GRAPH_MAX_RANK]; /* -1 for a symbolic or missing dimension */
} onnx_value_info;

typedef struct onnx_model {
    int64_t ir_version, opset; /* opset of the default domain ("" or "ai.onnx"); 0 if absent */
    int nnodes, ninit, ninputs, noutputs;
    onnx_node *nodes;
    onnx_tensor *init;
    onnx_value_info *inputs, *outputs;
} onnx_model;

/* Limits on what a model may hold */
#define ONNX_MAX_FILE ((size_t)1 << 30) /* 1 GiB */
#define ONNX_MAX_NODES 100000
#define ONNX_MAX_INITS 100000
#define ONNX_MAX_ATTRS 64     /* per node */
#define ONNX_MAX_IO 1024      /* inputs / outputs per node and per graph */
#define ONNX_MAX_NAME 4096    /* bytes */
#define ONNX_MAX_ELEMENTS ((size_t)1 << 28) /* per tensor */
#define ONNX_MAX_TOTAL_ELEMENTS ((size_t)1 << 28) /* all tensors together: int8 data widened to
                                                     int64 stays under 2 GiB */
#define ONNX_MAX_LIST 65536   /* ints / floats in an attribute */

/* Parses a ModelProto from data[0 .. len). Returns BEX_OK (*m filled; free with
 * onnx_model_free) or BEX_ERR_MODEL / BEX_ERR_NOMEM with a message (prefixed by `what`,
 * e.g. the file name) in err; *m is then empty. */
int onnx_parse(const uint8_t *data, size_t len, const char *what, onnx_model *m, char *err,
               size_t errlen);
void onnx_model_free(onnx_model *m);
void onnx_tensor_free(onnx_tensor *t);

/* Translates a TFLite flatbuffer (data[0 .. len)) into the same parsed form (tflite.c: the
 * operators it knows become their ONNX equivalents, 4-D tensors NCHW inside, the graph's
 * inputs and outputs in TFLite's own layout). Returns as onnx_parse. */
int tflite_parse(const uint8_t *data, size_t len, const char *what, onnx_model *m, char *err,
                 size_t errlen);

/* graph.c: builds the executable graph from a parsed model (either reader's), and reads a
 * whole model file (at most ONNX_MAX_FILE bytes; *data freed with bex__free). */
int nn_graph__load_parsed(const onnx_model *m, const char *what, const nn_graph_options *opt,
                          nn_graph **out, char *err, size_t errlen);
int nn_graph__read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);

#endif
