"""Caffe binary models (.caffemodel): reading, checking against a net, BatchNorm folding."""
