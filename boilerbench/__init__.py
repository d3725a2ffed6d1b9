"""boilerbench: a benchmark and training set for web boilerplate removal, scored per block."""

__version__ = "0.1.0"
