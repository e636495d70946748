"""Customer channels: Telegram, Meta (Facebook, Instagram), X and the generic signed webhook.

The rest of ReplyDesk reaches them through `build_channels`, which returns each configured
channel's inbound route or job and its reply sender.
"""

from bot.channels.wiring import ChannelIntegration, build_channels

__all__ = ["ChannelIntegration", "build_channels"]
