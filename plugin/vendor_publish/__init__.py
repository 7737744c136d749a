"""vendor-publish: hand a vendor's finished work back to the studio through accsyn."""

__version__ = "0.1.0"
