"""datagen-plugin-poison: poison pills with ground truth (``--transform poison``)."""

__version__ = "0.1.0"
