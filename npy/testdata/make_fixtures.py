#!/usr/bin/python3
"""Writes the .npy files that npy's tests read, using numpy itself.

Every array contains v[i] = i - 3 in C order (times 0.5 for floats, i % 2
for bool), so the Go test can compute the expected elements from the
shape alone. Run from this directory with /usr/bin/python3 (numpy 1.24).
"""
import numpy as np


def values(shape, dtype):
    n = int(np.prod(shape))
    i = np.arange(n)
    if np.dtype(dtype).kind == "b":
        v = i % 2 == 1
    elif np.dtype(dtype).kind == "f":
        v = (i - 3) * 0.5
    elif np.dtype(dtype).kind == "u":
        v = i
    else:
        v = i - 3
    return v.astype(dtype).reshape(shape)


def save(name, arr, version=None):
    with open(name, "wb") as f:
        np.lib.format.write_array(f, arr, version=version)


for dt in ["<f4", "<f8", "|b1", "|i1", "<i2", "<i4", "<i8", "|u1"]:
    save("c_%s.npy" % np.dtype(dt).name, values((2, 3), dt))

save("big_float64.npy", values((2, 3), ">f8"))
save("big_int32.npy", values((2, 3), ">i4"))
save("fortran_2d.npy", np.asfortranarray(values((3, 4), "<f8")))
save("fortran_3d.npy", np.asfortranarray(values((2, 3, 4), "<i4")))
save("version2.npy", values((2, 3), "<f8"), version=(2, 0))
save("version3.npy", values((2, 3), "<f8"), version=(3, 0))
save("scalar.npy", values((), "<f8"))
save("vector.npy", values((5,), "<f4"))
save("empty.npy", values((0, 3), "<f8"))
save("rank4.npy", values((2, 1, 3, 2), "<i8"))
