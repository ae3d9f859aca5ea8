"""Hot encoders and text renderings shared by serializers and sinks.

``text``: the kernel's one rendering of values as text (decimals, timestamps); ``columns``:
column-at-a-time text matrices; ``jsonlines``: JSON Lines built from columns; ``json``: the
built-in ``json`` serializer. Depends on ``datagen_kernel.api`` only.
"""
