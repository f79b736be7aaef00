"""What the query language says to a reader: problems (InvalidQuery) and notes, each a key with
params, in Chinese by default and in English."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsbot.errors import QueryError

MESSAGES: dict[str, dict[str, str]] = {
    "search.empty": {
        "zh": "请输入要搜索的词，例如：党建，或 高新区 债务",
        "en": "Please type what to search for, e.g. 党建 or 高新区 债务",
    },
    "search.only_exclusions": {
        "zh": "只有排除词（-词）无法搜索，请至少加一个要找的词。",
        "en": "A query with only excluded words (-word) finds nothing; add a word to look for.",
    },
    "search.bad_since": {
        "zh": "看不懂时间条件“{value}”，可以写 since:7d、since:24h 或 since:2026-01-01。",
        "en": "Cannot read the time filter “{value}”; use since:7d, since:24h or since:2026-01-01.",
    },
    "search.unknown_section": {
        "zh": "没有“{section}”这个栏目。现有栏目：{known}",
        "en": "There is no section “{section}”. Sections: {known}",
    },
    "search.truncated": {
        "zh": "查询太长，只用了前 {limit} 个字符。",
        "en": "The query was too long; only its first {limit} characters were used.",
    },
    "search.too_many_terms": {
        "zh": "词太多，只用了前 {limit} 个。",
        "en": "Too many words; only the first {limit} were used.",
    },
    "search.ignored": {
        "zh": "已忽略无法搜索的内容：{text}",
        "en": "Ignored what cannot be searched: {text}",
    },
}


def message(key: str, params: dict[str, str | int], language: str = "zh") -> str:
    texts = MESSAGES[key]
    return texts.get(language, texts["zh"]).format(**params)


class InvalidQuery(QueryError):
    """A query that cannot be run; `key` + `params` name the problem, str() is the zh text."""

    def __init__(self, key: str, **params: str | int) -> None:
        super().__init__(message(key, params))
        self.key = key
        self.params = params

    def message(self, language: str = "zh") -> str:
        return message(self.key, self.params, language)


@dataclass(frozen=True, slots=True)
class Note:
    """Something the user should know about how the query was read (e.g. it was cut)."""

    key: str
    params: dict[str, str | int] = field(default_factory=dict)

    def message(self, language: str = "zh") -> str:
        return message(self.key, self.params, language)
