"""sofi-bulk: bulk entry of SOFI training offers (PREPA Avenir Sup) through Excel workbooks."""

__version__ = "0.1.0"
