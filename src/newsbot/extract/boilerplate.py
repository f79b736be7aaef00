"""Boilerplate of Chinese CMS pages: the lines and the containers that are never article text.

The line rules are anchored (start of line, bounded length) so that a body paragraph that merely
mentions 版权 or 评论 is kept: only a line that *is* a copyright notice, a comment-form label, a
share bar or an "about us" footer matches.
"""

from __future__ import annotations

import re

# Notices that are whole sentences: recognised wherever they stand.
_NOTICE_PATTERNS = [
    r"版权声明[:：]?.*",
    r"本文地址[:：].*",
    r"本文(链接|网址)[:：].*",
    r"(原文|文章)(链接|地址)[:：]\s*https?://\S+",
    r"本文仅代表作者(个人)?观点.{0,40}",
    r"本文系作者授权.{0,40}",
    r"未经(许可|授权)[,，]?\s*(不得|严禁|禁止)转载.{0,20}",
    r"(转载|引用)请注明(出处|来源).{0,40}",
    r"(copyright|©|\(c\)|版权所有|all rights reserved).{0,200}",
    r".{0,60}(版权所有|all rights reserved|©\s*\d{4}).{0,60}",
    r"copyright protection:.*",
    r"that the network agrees with its views.*",
    r"[\[【]?(上一篇|下一篇|上一页|下一页)[\]】]?[:：].{0,60}",
    r"(免责声明|特别声明|郑重声明)[:：].{0,200}",
    r"[•·]?\s*(凡(本网|本站)?注明|凡本(网|站)|本(网|站)(所有|刊登|注明|转载)).{0,250}(转载|版权|来源|出处).{0,150}",
    r".{0,20}(电话|传真|邮箱|e-?mail)[:：].{0,60}(电话|传真|邮箱|e-?mail)[:：].{0,80}",
    r"发表于\s*\d{4}.{0,60}",
    r"(ICP备|京ICP|晋ICP|.{0,10}ICP[备证]).{0,60}",
    r".{0,20}公网安备.{0,40}",
    r"(网络编辑|作者)\s+\S{1,12}\s+\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(:\d{2})?.{0,40}",
    r"(来源|作者|发布时间|浏览(次数)?|点击(数|量)?)[:：].{0,40}\d{4}[-/年]\d{1,2}.{0,40}",
]
# Labels of furniture (share bars, comment forms, menus): they never hold a sentence, so a line
# with sentence punctuation (，。；！？) is prose that merely starts with the same words.
_LABEL_PATTERNS = [
    r"留言与评论.{0,20}",
    r"(发表|我要|查看)评论.{0,12}",
    r"网友评论[:：]?\s*(\d+\s*条)?",
    r"(共有|已有)\s*\d*\s*条评论.{0,10}",
    r"验证码[:：]?.{0,10}",
    r"关于(我们|本站|本网|.{1,12}(网|站))",
    r"(联系我们|网站地图|免责声明|隐私(政策|声明)|广告服务|网站导航)([|\s｜·].{0,60})?",
    r"[\[【]?(上一篇|下一篇|上一页|下一页)[\]】]?",
    r"分享到[:：]?.{0,40}",
    r"(一键)?分享[:：].{0,40}",
    r"(微信)?扫一扫.{0,30}",
    r"(相关|延伸|推荐|热门|精彩)(阅读|文章|新闻|推荐|链接|专题|报道|评论)[:：]?.{0,4}",
    r"标签[:：].{0,60}",
    r"(评论|最新评论|评论列表|读者评论|网友评论|已有\d+人参与)",
    r"(点击|热点|阅读)排行.{0,8}",
    r"[\[【(（]?\s*(责任编辑|责编|编辑)[:：][^\]】)）]{0,20}[\]】)）]?(\s*标签[:：].{0,60})?",
    r"(打印|关闭|收藏|返回顶部|字号|【打印】|【关闭】|\[打印\]|\[关闭\])(\s*[|｜/]?\s*(打印|关闭|收藏|返回顶部|大|中|小|本页|窗口|\[.{1,4}\]|【.{1,4}】))*",
    r"(首页|当前位置|您的位置|你的位置|所在位置)\s*[:：>»].{0,80}",
]
_NOTICE = re.compile("|".join(f"(?:{p})" for p in _NOTICE_PATTERNS), re.I)
_LABEL = re.compile("|".join(f"(?:{p})" for p in _LABEL_PATTERNS), re.I)
_SENTENCE_PUNCT = re.compile(r"[，。；！？]")
_MAX_BOILERPLATE_CHARS = 220

# class/id words of containers that hold navigation, share bars, comments or footers.
NEGATIVE_ATTR = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|foot|copyright|copy|share|bdshare|jiathis|comment|comments|"
    r"reply|pinglun|breadcrumb|crumbs?|position|location|sidebar|side|aside|related|relate|xgwz|"
    r"recommend|hot|rank|advert|ads?|banner|login|toolbar|tools|pagelist|prenext|updown|"
    r"about|links|friendlink|yqlj|gotop|backtop|search|subnav|topbar|header|mask|popup|modal|"
    r"qrcode|erweima|weixin|wechat|print)([\s_-]|\d|$)",
    re.I,
)
POSITIVE_ATTR = re.compile(
    r"article|content|main|text|body|entry|post|story|detail|zhengwen|neirong|wenzhang|news_?txt",
    re.I,
)


def is_boilerplate_line(line: str) -> bool:
    """True for a whole line that is site furniture rather than article text."""
    text = line.strip()
    if not text or len(text) > _MAX_BOILERPLATE_CHARS:
        return False
    if _NOTICE.fullmatch(text):
        return True
    return _SENTENCE_PUNCT.search(text) is None and _LABEL.fullmatch(text) is not None


# Lines after which a Chinese CMS article page has nothing but furniture. Comment sections and
# disclaimers always end an article; "related" boxes sometimes sit inside one, so those end it
# only near the end (decided by the caller).
_HARD_END = re.compile(
    r"(版权声明|本文地址[:：]|(免责|特别)声明[:：]|根据《(中华人民共和国)?著作权法》|"
    # blog post footers: the post ends here, whatever follows (comments, the next post)
    r"由\s*\S{1,30}\s*(张贴|发表|发布)|发表于\s*\d{4}|posted\s+(by|at|on)\s)"
)
# Comment-section headings and print bars: labels, so never a line with sentence punctuation.
_HARD_LABEL = re.compile(
    r"(留言与评论|(发表|网友|我要|最新|读者)评论|评论列表|评论$|[\[【]?打印[\]】]?$)"
)
_SOFT_END = re.compile(r"((相关|延伸)(阅读|文章|新闻|报道)|上一篇|下一篇|分享到)")


def end_marker(line: str) -> str | None:
    """ "hard" or "soft" for a line that starts the furniture after an article, else None."""
    text = line.strip()
    if len(text) > 40 and not text.startswith(("免责声明", "特别声明", "根据《")):
        return None
    if _HARD_END.match(text):
        return "hard"
    if _SENTENCE_PUNCT.search(text):
        return None
    if _HARD_LABEL.match(text):
        return "hard"
    return "soft" if _SOFT_END.match(text) else None
