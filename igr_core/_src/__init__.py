"""Private implementation modules of :mod:`igr_core`; import from the public modules."""
