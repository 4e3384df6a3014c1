"""mpgrade: a course kit and autograder for multiprocessing and concurrent.futures."""

__version__ = "0.1.0"
