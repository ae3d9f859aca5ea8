"""datagen-plugin-pix-keys: the ``pix_key`` entity (an example of an in-house entity plugin)."""

from datagen_plugin_pix_keys.keys import PIX_KEY, generate_pix_keys

__all__ = ["PIX_KEY", "generate_pix_keys"]
