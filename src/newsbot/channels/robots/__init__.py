"""What the three group-robot channels (WeCom, DingTalk, Feishu) share: the robot profile (limits,
rate windows and error rules as data), and the sender that posts a chunk to a group's webhook and
classifies the platform's answer. Each platform's package supplies only its profile and how a
request is built and signed."""
