"""The WeChat Official Account channel (公众号): the /wechat callback on the HTTP front, the
customer-service and menu API, and delivery within the platform's reply window.
docs/wechat.md has the rules and decisions."""
