"""Customer channels: Telegram, Meta (Facebook, Instagram), X and the generic signed webhook."""
