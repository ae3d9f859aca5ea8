"""Hot encoders and text renderings shared by serializers and sinks.

``text``: the kernel's one rendering of values as text (decimals, timestamps); ``columns``:
column-at-a-time text matrices; ``jsonlines``: JSON Lines built from columns; ``json``: the
built-in ``json`` serializer; ``normalise``: the one rounding rule of values given with more
precision than their type, and the engine's normalise step. Depends on ``datagen_kernel.api``
only.
"""
