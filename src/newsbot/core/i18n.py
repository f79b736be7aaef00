"""Every subscriber-facing string of the conversation layer, in zh-CN (default) and English.

`t(lang, key, **params)` formats one; an unknown language falls back to zh, and a key missing in
English falls back to zh too (tests check that both tables have the same keys).
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

ZH: dict[str, str] = {
    # welcome and help
    "welcome": "👋 {name}，欢迎使用山西大院资讯摘要机器人！",
    "welcome.subscribed": "已为你订阅每日摘要，每天 {time}（{tz}）发送。",
    "welcome.next": "发送关键词即可搜索，例如：党建。发送 /help 查看全部命令。",
    "deeplink.keyword": "已添加关键词提醒：{keywords}",
    "deeplink.section": "已订阅栏目：{section}",
    "deeplink.bad": "链接参数无法识别（{payload}），已忽略。",
    "help.title": "可用命令",
    "help.admin": "管理员命令",
    "help.search_hint": '直接发送文字即可搜索；搜索语法："短语"、-排除词、债务|就业（或）、section:栏目、since:7d。',
    # commands (descriptions for menus and /help)
    "cmd.start": "开始使用并订阅每日摘要",
    "cmd.help": "查看帮助",
    "cmd.subscribe": "订阅每日摘要（可指定栏目）",
    "cmd.unsubscribe": "退订每日摘要（或某个栏目）",
    "cmd.time": "设置摘要时间，如 /time 07:30",
    "cmd.tz": "设置时区，如 /tz Asia/Shanghai",
    "cmd.keywords": "关键词提醒：add 添加 / remove 删除 / list 列表",
    "cmd.search": "搜索文章，如 /search 党建",
    "cmd.digest": "立即查看今日摘要",
    "cmd.latest": "最新文章",
    "cmd.settings": "查看和修改设置",
    "cmd.lang": "切换语言：/lang zh 或 /lang en",
    "cmd.stats": "统计（管理员）",
    "cmd.broadcast": "群发消息（管理员）",
    # subscribe
    "subscribe.on": "✅ 已订阅每日摘要，每天 {time}（{tz}）发送。",
    "subscribe.sections": "✅ 已订阅栏目：{sections}。只会收到这些栏目的文章。",
    "subscribe.off": "已退订每日摘要。发送 /subscribe 可重新订阅。",
    "subscribe.sections_off": "已退订栏目：{sections}。",
    "subscribe.all_sections": "现在会收到所有栏目的文章。",
    "subscribe.unknown_section": "没有这个栏目：{sections}。可选栏目：{known}",
    "subscribe.no_sections": "（暂无栏目）",
    # time and timezone
    "time.set": "⏰ 摘要时间已设为每天 {time}（{tz}）。",
    "time.show": "当前摘要时间：每天 {time}（{tz}）。修改：/time 07:30",
    "time.bad": "无法识别时间“{value}”。请用 24 小时制 HH:MM，例如 /time 07:30 或 /time 7:30。",
    "tz.set": "🌏 时区已设为 {tz}，摘要将在当地时间 {time} 发送。",
    "tz.show": "当前时区：{tz}。修改：/tz Asia/Shanghai",
    "tz.bad": "无法识别时区“{value}”。请用 IANA 时区名，例如 Asia/Shanghai、Europe/Berlin、UTC。",
    # keywords
    "keywords.added": "🔔 已添加关键词：{keywords}",
    "keywords.existing": "已存在：{keywords}",
    "keywords.over_limit": "⚠️ 每人最多 {limit} 个关键词，已有 {count} 个；以下 {n} 个未添加：{keywords}",
    "keywords.too_long": "关键词太长（最多 {limit} 个字）：{keywords}",
    "keywords.never_matches": "⚠️ 这些关键词永远不会匹配（只有排除词，或没有可搜索的字），未添加：{keywords}。请至少写一个要找的词，例如：债务 -招聘",
    "keywords.removed": "已删除关键词：{keywords}",
    "keywords.not_found": "没有这些关键词：{keywords}",
    "keywords.list": "你的关键词（{count}/{limit}）：{keywords}",
    "keywords.empty": "你还没有关键词。添加：/keywords add 党建 债务",
    "keywords.usage": "用法：/keywords add 词1 词2 … / remove 词 / list",
    "keywords.none_given": "请在命令后写出关键词，例如：/keywords add 党建",
    # search
    "search.unavailable": "搜索功能暂不可用，请稍后再试。",
    "search.none": "没有找到与“{query}”相关的文章。",
    "search.header": "🔎 “{query}” 共 {total} 篇，第 {page}/{pages} 页",
    "search.header_capped": "🔎 “{query}” 至少 {total} 篇，第 {page}/{pages} 页",
    "search.prev": "‹ 上一页",
    "search.next": "下一页 ›",
    "search.expired": "这组搜索结果已过期，请重新搜索。",
    "search.too_long": "搜索词太长（{length} 字），最多 {limit} 字。",
    # digest and latest
    "digest.empty": "今天暂时没有新文章。",
    "digest.unavailable": "暂时无法生成摘要，请稍后再试。",
    "digest.latest_instead": "过去 {hours:g} 小时没有新文章，以下是最近的文章：",
    "latest.header": "🆕 最新文章",
    "latest.empty": "还没有文章。",
    # settings
    "settings.title": "⚙️ 设置",
    "settings.body": "每日摘要：{digest}\n摘要时间：{time}（{tz}）\n栏目：{sections}\n关键词：{keywords} 个\n提醒方式：{alert}\n语言：{lang}",
    "settings.on": "开",
    "settings.off": "关",
    "settings.all_sections": "全部",
    "settings.alert.push": "即时推送",
    "settings.alert.digest": "并入摘要",
    "settings.lang.name": "中文",
    "settings.toggle_digest": "每日摘要：{state}",
    "settings.toggle_alert": "提醒：{mode}",
    "settings.toggle_lang": "Language: English",
    "settings.updated": "已更新",
    # language
    "lang.set": "语言已切换为中文。",
    "lang.bad": "不支持的语言“{value}”。可选：zh（中文）、en（English）。",
    # admin
    "admin.only": "此命令仅限管理员使用。",
    "group.admins_only": "在群里只有群管理员可以修改设置。",
    "stats.body": "📊 订阅者 {total}（活跃 {active}，订阅摘要 {digest}）\n关键词 {keywords} 个\n文章 {articles} 篇",
    "broadcast.usage": "用法：/broadcast 要群发的内容",
    "broadcast.queued": "📣 已排队群发给 {n} 位订阅者。",
    "broadcast.unavailable": "群发功能暂不可用（投递模块未启用）。",
    # bad input
    "error.unknown_command": "未知命令 /{command}。发送 /help 查看可用命令。",
    "error.too_long": "消息太长（{length} 字），最多 {limit} 字。请缩短后再发。",
    "error.edited": "编辑过的消息不会被处理，请重新发送一条新消息。",
    "error.bad_callback": "按钮已失效或数据无效，请重新发送命令。",
    "error.empty": "请发送命令或要搜索的文字。发送 /help 查看帮助。",
    "error.internal": "抱歉，处理时出错了，请稍后再试。",
}

EN: dict[str, str] = {
    "welcome": "👋 {name}, welcome to the 山西大院 news digest bot!",
    "welcome.subscribed": "You are subscribed to the daily digest, sent every day at {time} ({tz}).",
    "welcome.next": "Send any words to search, e.g. 党建. Send /help for all commands.",
    "deeplink.keyword": "Keyword alerts added: {keywords}",
    "deeplink.section": "Subscribed to the section: {section}",
    "deeplink.bad": "The link parameter ({payload}) is not understood and was ignored.",
    "help.title": "Commands",
    "help.admin": "Admin commands",
    "help.search_hint": 'Send any text to search; syntax: "phrase", -exclude, a|b (either), section:name, since:7d.',
    "cmd.start": "Start and subscribe to the daily digest",
    "cmd.help": "Show help",
    "cmd.subscribe": "Subscribe to the daily digest (optionally a section)",
    "cmd.unsubscribe": "Unsubscribe from the digest (or a section)",
    "cmd.time": "Set the digest time, e.g. /time 07:30",
    "cmd.tz": "Set your timezone, e.g. /tz Europe/Berlin",
    "cmd.keywords": "Keyword alerts: add / remove / list",
    "cmd.search": "Search articles, e.g. /search 党建",
    "cmd.digest": "Today's digest now",
    "cmd.latest": "Latest articles",
    "cmd.settings": "Show and change settings",
    "cmd.lang": "Language: /lang zh or /lang en",
    "cmd.stats": "Statistics (admins)",
    "cmd.broadcast": "Broadcast a message (admins)",
    "subscribe.on": "✅ Subscribed to the daily digest, sent every day at {time} ({tz}).",
    "subscribe.sections": "✅ Subscribed to the sections: {sections}. You get articles from these only.",
    "subscribe.off": "Unsubscribed from the daily digest. Send /subscribe to subscribe again.",
    "subscribe.sections_off": "Unsubscribed from the sections: {sections}.",
    "subscribe.all_sections": "You now get articles from every section.",
    "subscribe.unknown_section": "No such section: {sections}. Sections: {known}",
    "subscribe.no_sections": "(none yet)",
    "time.set": "⏰ Digest time set to {time} every day ({tz}).",
    "time.show": "Digest time: {time} every day ({tz}). Change it: /time 07:30",
    "time.bad": "Cannot read the time “{value}”. Use 24-hour HH:MM, e.g. /time 07:30 or /time 7:30.",
    "tz.set": "🌏 Timezone set to {tz}; the digest comes at {time} local time.",
    "tz.show": "Timezone: {tz}. Change it: /tz Europe/Berlin",
    "tz.bad": "Unknown timezone “{value}”. Use an IANA name such as Asia/Shanghai, Europe/Berlin or UTC.",
    "keywords.added": "🔔 Keywords added: {keywords}",
    "keywords.existing": "Already there: {keywords}",
    "keywords.over_limit": "⚠️ At most {limit} keywords per subscriber and you have {count}; these {n} were not added: {keywords}",
    "keywords.too_long": "Keywords too long (at most {limit} characters): {keywords}",
    "keywords.never_matches": "⚠️ These keywords could never match (only exclusions, or nothing searchable) and were not added: {keywords}. Include a word to look for, e.g. 债务 -招聘",
    "keywords.removed": "Keywords removed: {keywords}",
    "keywords.not_found": "Not among your keywords: {keywords}",
    "keywords.list": "Your keywords ({count}/{limit}): {keywords}",
    "keywords.empty": "You have no keywords yet. Add some: /keywords add 党建 债务",
    "keywords.usage": "Usage: /keywords add word1 word2 … / remove word / list",
    "keywords.none_given": "Write the keywords after the command, e.g. /keywords add 党建",
    "search.unavailable": "Search is not available right now; please try again later.",
    "search.none": "No articles found for “{query}”.",
    "search.header": "🔎 “{query}”: {total} articles, page {page}/{pages}",
    "search.header_capped": "🔎 “{query}”: at least {total} articles, page {page}/{pages}",
    "search.prev": "‹ Previous",
    "search.next": "Next ›",
    "search.expired": "These search results have expired; please search again.",
    "search.too_long": "The search is too long ({length} characters); at most {limit}.",
    "digest.empty": "No new articles today yet.",
    "digest.unavailable": "The digest cannot be built right now; please try again later.",
    "digest.latest_instead": "No new articles in the last {hours:g} hours; here are the latest:",
    "latest.header": "🆕 Latest articles",
    "latest.empty": "No articles yet.",
    "settings.title": "⚙️ Settings",
    "settings.body": "Daily digest: {digest}\nDigest time: {time} ({tz})\nSections: {sections}\nKeywords: {keywords}\nAlerts: {alert}\nLanguage: {lang}",
    "settings.on": "on",
    "settings.off": "off",
    "settings.all_sections": "all",
    "settings.alert.push": "pushed at once",
    "settings.alert.digest": "folded into the digest",
    "settings.lang.name": "English",
    "settings.toggle_digest": "Daily digest: {state}",
    "settings.toggle_alert": "Alerts: {mode}",
    "settings.toggle_lang": "语言：中文",
    "settings.updated": "Updated",
    "lang.set": "Language switched to English.",
    "lang.bad": "Unsupported language “{value}”. Choose zh (中文) or en (English).",
    "admin.only": "This command is for admins only.",
    "group.admins_only": "In a group, only its administrators can change the settings.",
    "stats.body": "📊 Subscribers {total} (active {active}, digest on {digest})\nKeywords {keywords}\nArticles {articles}",
    "broadcast.usage": "Usage: /broadcast the text to send",
    "broadcast.queued": "📣 Broadcast queued for {n} subscribers.",
    "broadcast.unavailable": "Broadcast is not available (the delivery module is not enabled).",
    "error.unknown_command": "Unknown command /{command}. Send /help for the commands.",
    "error.too_long": "The message is too long ({length} characters); at most {limit}. Please shorten it.",
    "error.edited": "Edited messages are not processed; please send a new message.",
    "error.bad_callback": "This button has expired or its data is invalid; please send the command again.",
    "error.empty": "Send a command or some words to search. Send /help for help.",
    "error.internal": "Sorry, something went wrong; please try again later.",
}

TABLES = {"zh": ZH, "en": EN}


def normalize_language(lang: str | None) -> str:
    """'en', 'en-US', 'EN' -> 'en'; anything unknown -> the default (zh)."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in TABLES else DEFAULT_LANGUAGE


def t(lang: str | None, key: str, /, **params: object) -> str:
    """The string `key` in `lang`, formatted with `params`."""
    table = TABLES.get(normalize_language(lang), ZH)
    template = table.get(key) or ZH[key]
    return template.format(**params) if params else template
