"""Pieces shared by Tencent's two callback channels, the WeChat Official Account (channels.wechat)
and the WeCom app: callback signatures and AES (crypto), safe XML (xmlsafe), the API access
token kept in the database (tokens), and per-message deduplication (dedupe)."""
