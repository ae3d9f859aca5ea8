/* JSON Lines assembled from rendered columns in one pass: the C half of
   datagen_kernel.codecs.jsonlines (LineEncoder.lines).

   Each field's text is a row of a uint8 matrix, NUL-padded wherever convenient; a line is
   each field's constant prefix ('{"name":' or ',"name":'), its text without the NULs (with
   quotes around it for a quoted field), then '}' and a newline. The numpy path lays the rows
   out padded and deletes the NULs afterwards; this writes each line once, in the entries'
   order, with no padded copy and no second pass. Both give the same bytes.

   assemble(out, perm, fields) -> bytes written into out
     out      writable buffer (a bytearray), at least bound(entries, fields) bytes: per entry
              '}', a newline and each field's prefix and widest text (quotes included), plus
              each patch row's prefix and width once
     perm     None (entry e is row e) or int64[entries]: the row of each entry
     fields   list of (prefix: bytes, quoted: bool, matrix: None | uint8[rows, width],
                       patch_at: None | int64[k], patch: None | uint8[k, w],
                       absent_at: None | int64[a])
              patch_at: the entries (ascending) whose text is the row of patch at the same
              place (its quotes included); absent_at: the entries (ascending) that lack the
              field (neither prefix nor text); matrix None: only the entries of patch_at have
              the field (one beyond the entity's, written after its own)
   Rows out of range are an error (ValueError), as are buffers of the wrong shape.

   join(count, pieces, end) -> list of count bytes objects (datagen_kernel.codecs.jsonlines.join_rows)
     pieces   list of (prefix: bytes, matrix: uint8[rows, width], index: None | int64[count])
              text e is, piece by piece, its prefix and row index[e] of its matrix (row e without
              an index; nothing for -1) without the NULs, then end */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_buffer prefix, matrix, patch_at, patch, absent_at;
    int has_matrix, has_patch, has_absent, quoted;
    Py_ssize_t rows, width, stride, prows, pwidth, pstride, absents;
} Field;

/* The text of one row without its NULs; returns the end of what was written. */
static inline uint8_t *put(uint8_t *o, const uint8_t *s, Py_ssize_t w) {
    while (w > 0 && *s == 0) { s++; w--; }  /* right-aligned: the padding comes first */
    memcpy(o, s, (size_t)w);
    uint8_t *z = memchr(o, 0, (size_t)w);
    if (z == NULL) return o + w;
    uint8_t *d = z;  /* padding elsewhere in the row: squeezed out */
    for (uint8_t *p = z; p < o + w; p++) { uint8_t c = *p; *d = c; d += (c != 0); }
    return d;
}

static int matrix_of(PyObject *obj, Py_buffer *view, Py_ssize_t *rows, Py_ssize_t *width, Py_ssize_t *stride,
                     const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return -1;
    if (view->ndim != 2 || view->itemsize != 1 || view->strides[1] != 1 || view->strides[0] < 0) {
        PyErr_Format(PyExc_ValueError, "%s: a uint8 matrix with contiguous rows expected", what);
        PyBuffer_Release(view);
        return -1;
    }
    *rows = view->shape[0];
    *width = view->shape[1];
    *stride = view->strides[0];
    return 0;
}

static int vector_of(PyObject *obj, Py_buffer *view, Py_ssize_t n, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != itemsize || view->len < n * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items of %zd bytes expected", what, n, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void release(Field *fields, Py_ssize_t count) {
    for (Py_ssize_t f = 0; f < count; f++) {
        Field *x = &fields[f];
        PyBuffer_Release(&x->prefix);
        if (x->has_matrix) PyBuffer_Release(&x->matrix);
        if (x->has_patch) { PyBuffer_Release(&x->patch_at); PyBuffer_Release(&x->patch); }
        if (x->has_absent) PyBuffer_Release(&x->absent_at);
    }
}

/* A vector of entries (int64), ascending; its length in *count. */
static int entries_of(PyObject *obj, Py_buffer *view, Py_ssize_t *count, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != 8 || view->ndim > 1) {
        PyErr_Format(PyExc_ValueError, "%s: an int64 vector expected", what);
        PyBuffer_Release(view);
        return -1;
    }
    *count = view->len / 8;
    return 0;
}

static PyObject *assemble(PyObject *self, PyObject *args) {
    Py_buffer out, perm = {0};
    PyObject *perm_obj, *fields_obj;
    if (!PyArg_ParseTuple(args, "w*OO!", &out, &perm_obj, &PyList_Type, &fields_obj)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t nf = PyList_GET_SIZE(fields_obj), ready = 0;
    Field *fields = PyMem_Calloc((size_t)(nf ? nf : 1), sizeof(Field));
    Py_ssize_t *cursors = PyMem_Calloc((size_t)(2 * nf + 1), sizeof(Py_ssize_t));
    int has_perm = perm_obj != Py_None;
    Py_ssize_t n = -1;
    if (fields == NULL || cursors == NULL) { PyErr_NoMemory(); goto done; }
    if (has_perm) {
        if (PyObject_GetBuffer(perm_obj, &perm, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) { has_perm = 0; goto done; }
        if (perm.itemsize != 8) { PyErr_SetString(PyExc_ValueError, "perm: int64 expected"); goto done; }
        n = perm.len / 8;
    }
    Py_ssize_t bound = 2, extra = 0;  /* per entry: '}' and the newline; once: each patch row */
    for (; ready < nf; ready++) {
        PyObject *item = PyList_GET_ITEM(fields_obj, ready);
        PyObject *prefix, *quoted, *matrix, *patch_at, *patch, *absent_at;
        Field *x = &fields[ready];
        if (!PyArg_ParseTuple(item, "OOOOOO", &prefix, &quoted, &matrix, &patch_at, &patch, &absent_at)) goto done;
        if (PyObject_GetBuffer(prefix, &x->prefix, PyBUF_SIMPLE) < 0) goto done;
        if (matrix != Py_None) {
            if (matrix_of(matrix, &x->matrix, &x->rows, &x->width, &x->stride, "matrix") < 0) {
                PyBuffer_Release(&x->prefix);
                goto done;
            }
            x->has_matrix = 1;
            if (n < 0) n = x->rows;
        } else if (patch_at == Py_None) {
            PyErr_SetString(PyExc_ValueError, "matrix: None needs patch_at");
            PyBuffer_Release(&x->prefix);
            goto done;
        }
        x->quoted = PyObject_IsTrue(quoted);
        if (patch_at != Py_None) {
            Py_ssize_t k;
            if (entries_of(patch_at, &x->patch_at, &k, "patch_at") < 0) goto field_failed;
            if (matrix_of(patch, &x->patch, &x->prows, &x->pwidth, &x->pstride, "patch") < 0) {
                PyBuffer_Release(&x->patch_at);
                goto field_failed;
            }
            x->has_patch = 1;
            if (x->prows != k) {
                PyErr_Format(PyExc_ValueError, "patch: %zd rows for %zd entries", x->prows, k);
                goto field_failed;
            }
            extra += k * (x->pwidth + (x->has_matrix ? 0 : x->prefix.len));
        }
        if (absent_at != Py_None) {
            if (entries_of(absent_at, &x->absent_at, &x->absents, "absent_at") < 0) goto field_failed;
            x->has_absent = 1;
        }
        if (x->has_matrix) bound += x->prefix.len + x->width + (x->quoted ? 2 : 0);
        continue;
    field_failed:
        if (x->has_patch) { PyBuffer_Release(&x->patch_at); PyBuffer_Release(&x->patch); }
        PyBuffer_Release(&x->prefix);
        if (x->has_matrix) PyBuffer_Release(&x->matrix);
        goto done;
    }
    if (n < 0) n = 0;
    if (out.len < n * bound + extra) {
        PyErr_Format(PyExc_ValueError, "out: %zd bytes, %zd needed", out.len, n * bound + extra);
        goto done;
    }
    const int64_t *rows_of = has_perm ? (const int64_t *)perm.buf : NULL;
    uint8_t *o = out.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t e = 0; e < n && !bad; e++) {
        int64_t r = rows_of ? rows_of[e] : e;
        for (Py_ssize_t f = 0; f < nf; f++) {
            const Field *x = &fields[f];
            Py_ssize_t *pc = &cursors[2 * f], *ac = &cursors[2 * f + 1];
            if (x->has_absent && *ac < x->absents && ((const int64_t *)x->absent_at.buf)[*ac] == e) {
                ++*ac;
                continue;
            }
            int patched = x->has_patch && *pc < x->prows && ((const int64_t *)x->patch_at.buf)[*pc] == e;
            if (!patched && !x->has_matrix) continue;  /* a field only some entries have */
            memcpy(o, x->prefix.buf, (size_t)x->prefix.len);
            o += x->prefix.len;
            if (patched) {
                o = put(o, (const uint8_t *)x->patch.buf + *pc * x->pstride, x->pwidth);
                ++*pc;
                continue;
            }
            if (r < 0 || r >= x->rows) { bad = 1; break; }
            if (x->quoted) *o++ = '"';
            o = put(o, (const uint8_t *)x->matrix.buf + r * x->stride, x->width);
            if (x->quoted) *o++ = '"';
        }
        *o++ = '}';
        *o++ = '\n';
    }
    Py_END_ALLOW_THREADS
    /* every patch and absence used: their entries were ascending and within range */
    for (Py_ssize_t f = 0; f < nf && !bad; f++) {
        const Field *x = &fields[f];
        if ((x->has_patch && cursors[2 * f] != x->prows) || (x->has_absent && cursors[2 * f + 1] != x->absents))
            bad = 2;
    }
    if (bad) {
        PyErr_SetString(PyExc_ValueError, bad == 1 ? "a row out of range of its matrix"
                                                   : "entries not ascending, repeated or out of range");
        goto done;
    }
    result = PyLong_FromSsize_t(o - (uint8_t *)out.buf);
done:
    if (fields != NULL) { release(fields, ready); PyMem_Free(fields); }
    PyMem_Free(cursors);
    if (has_perm) PyBuffer_Release(&perm);
    PyBuffer_Release(&out);
    return result;
}

typedef struct {
    Py_buffer prefix, matrix, index;
    int has_index;
    Py_ssize_t rows, width, stride;
} Piece;

static void release_pieces(Piece *pieces, Py_ssize_t count) {
    for (Py_ssize_t k = 0; k < count; k++) {
        PyBuffer_Release(&pieces[k].prefix);
        PyBuffer_Release(&pieces[k].matrix);
        if (pieces[k].has_index) PyBuffer_Release(&pieces[k].index);
    }
}

static PyObject *join(PyObject *self, PyObject *args) {
    Py_ssize_t count;
    PyObject *pieces_obj;
    Py_buffer end;
    if (!PyArg_ParseTuple(args, "nO!y*", &count, &PyList_Type, &pieces_obj, &end)) return NULL;
    PyObject *result = NULL;
    uint8_t *scratch = NULL;
    Py_ssize_t np_ = PyList_GET_SIZE(pieces_obj), ready = 0, bound = end.len;
    Piece *pieces = PyMem_Calloc((size_t)(np_ ? np_ : 1), sizeof(Piece));
    if (pieces == NULL) { PyErr_NoMemory(); goto done; }
    if (count < 0) { PyErr_SetString(PyExc_ValueError, "count: not negative expected"); goto done; }
    for (; ready < np_; ready++) {
        PyObject *prefix, *matrix, *index;
        Piece *x = &pieces[ready];
        if (!PyArg_ParseTuple(PyList_GET_ITEM(pieces_obj, ready), "OOO", &prefix, &matrix, &index)) goto done;
        if (PyObject_GetBuffer(prefix, &x->prefix, PyBUF_SIMPLE) < 0) goto done;
        if (matrix_of(matrix, &x->matrix, &x->rows, &x->width, &x->stride, "matrix") < 0) {
            PyBuffer_Release(&x->prefix);
            goto done;
        }
        if (index != Py_None) {
            if (vector_of(index, &x->index, count, 8, "index") < 0) {
                PyBuffer_Release(&x->prefix);
                PyBuffer_Release(&x->matrix);
                goto done;
            }
            x->has_index = 1;
        } else if (x->rows < count) {
            PyErr_Format(PyExc_ValueError, "matrix: %zd rows, %zd needed", x->rows, count);
            PyBuffer_Release(&x->prefix);
            PyBuffer_Release(&x->matrix);
            goto done;
        }
        bound += x->prefix.len + x->width;
    }
    scratch = PyMem_Malloc((size_t)(bound ? bound : 1));
    if (scratch == NULL) { PyErr_NoMemory(); goto done; }
    PyObject *list = PyList_New(count);
    if (list == NULL) goto done;
    for (Py_ssize_t e = 0; e < count; e++) {
        uint8_t *o = scratch;
        for (Py_ssize_t k = 0; k < np_; k++) {
            const Piece *x = &pieces[k];
            memcpy(o, x->prefix.buf, (size_t)x->prefix.len);
            o += x->prefix.len;
            int64_t r = x->has_index ? ((const int64_t *)x->index.buf)[e] : e;
            if (r == -1) continue;
            if (r < 0 || r >= x->rows) {
                PyErr_SetString(PyExc_ValueError, "a row out of range of its matrix");
                Py_DECREF(list);
                goto done;
            }
            o = put(o, (const uint8_t *)x->matrix.buf + r * x->stride, x->width);
        }
        memcpy(o, end.buf, (size_t)end.len);
        o += end.len;
        PyObject *text = PyBytes_FromStringAndSize((const char *)scratch, o - scratch);
        if (text == NULL) { Py_DECREF(list); goto done; }
        PyList_SET_ITEM(list, e, text);
    }
    result = list;
done:
    if (pieces != NULL) { release_pieces(pieces, ready); PyMem_Free(pieces); }
    PyMem_Free(scratch);
    PyBuffer_Release(&end);
    return result;
}

static PyMethodDef methods[] = {
    {"assemble", assemble, METH_VARARGS, "JSON lines from rendered columns (see datagen_kernel.codecs.jsonlines)."},
    {"join", join, METH_VARARGS, "Texts joined from rows of text matrices (see datagen_kernel.codecs.jsonlines)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_assemble", NULL, -1, methods};

PyMODINIT_FUNC PyInit__assemble(void) { return PyModule_Create(&module); }
