"""Reading inputs and writing outputs: readers return validated polars frames or numpy arrays."""
