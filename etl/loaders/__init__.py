"""One module per kind of file. Each turns a staged file into warehouse rows, set-wise in SQL."""
