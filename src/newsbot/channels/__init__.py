"""The channels: one package per outside messaging system, each implementing ports.Channel.

Adding one is a new package here plus one line in newsbot.app.CHANNELS (docs/channels.md).
"""
