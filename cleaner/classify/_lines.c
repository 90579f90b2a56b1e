/* The per-line features of the line classifier (features.py: _per_line), in C. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lines", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__lines(void) { return PyModule_Create(&module); }
