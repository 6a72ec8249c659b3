"""OpenAPI 3 description of the open data (the schema is stable: fields are only ever added)."""

from django.urls import reverse

from .selectors import OPEN_DATA_MAX_PAGE, OPEN_DATA_PAGE_SIZE

ENTRY_SCHEMA = {
    "type": "object",
    "description": "一条已公示的名单条目（当前有效版本）。",
    "properties": {
        "entry_id": {"type": "integer", "description": "条目编号（每个版本一个编号）"},
        "version": {"type": "integer", "description": "版本号；大于1表示更正后的版本"},
        "supersedes_id": {"type": ["integer", "null"], "description": "被本版本更正的条目编号"},
        "list_kind": {
            "type": "string",
            "enum": ["white", "black"],
            "description": "white 白名单 / black 黑名单",
        },
        "black_category": {
            "type": "string",
            "enum": ["", "licensed_violating", "unlicensed", "safety_hazard", "other"],
            "description": "黑名单类别：有证有照但违规、无证无照、存在安全隐患、其他",
        },
        "institution_id": {"type": "integer"},
        "institution_name": {"type": "string", "description": "机构名称"},
        "credit_code": {"type": "string", "description": "统一社会信用代码（无照机构为空）"},
        "address": {"type": "string", "description": "办学地址"},
        "region_code": {"type": "string", "description": "行政区划代码"},
        "region_name": {"type": "string"},
        "category": {"type": "string", "enum": ["academic", "sports", "arts", "science", "vocational"]},
        "reason": {"type": "string", "description": "列入原因"},
        "handling_result": {"type": "string", "description": "处理结果"},
        "is_typical_case": {"type": "boolean", "description": "是否为曝光的典型案例"},
        "published_at": {"type": "string", "format": "date-time", "description": "公示时间（本版本）"},
        "batch_number": {"type": "string", "description": "公示批次编号"},
        "batch_id": {"type": "integer"},
    },
    "required": [
        "entry_id",
        "version",
        "list_kind",
        "institution_name",
        "reason",
        "published_at",
        "batch_number",
    ],
}


def openapi_document(request) -> dict:
    page = {
        "name": "page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": OPEN_DATA_MAX_PAGE, "default": 1},
    }
    list_kind = {
        "name": "list_kind",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["white", "black"]},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "校外培训机构黑白名单开放数据",
            "version": "1",
            "description": f"已公示的黑白名单条目，每页{OPEN_DATA_PAGE_SIZE}条，按公示时间倒序。"
            "只包含已公示的数据；更正后只列最新版本。",
            "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": request.build_absolute_uri("/")}],
        "paths": {
            reverse("publicity:open_data_json"): {
                "get": {
                    "summary": "名单条目（JSON）",
                    "parameters": [list_kind, page],
                    "responses": {
                        "200": {
                            "description": "一页条目",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "schema_version": {"type": "integer"},
                                            "license": {"type": "string"},
                                            "license_url": {"type": "string"},
                                            "page": {"type": "integer"},
                                            "page_size": {"type": "integer"},
                                            "next": {"type": ["string", "null"]},
                                            "results": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Entry"},
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        "400": {"description": "参数无效（如页码超出范围）"},
                        "414": {"description": "查询字符串过长"},
                    },
                }
            },
            reverse("publicity:open_data_csv"): {
                "get": {
                    "summary": "名单条目（CSV，UTF-8 带 BOM，列同 JSON 的 Entry 字段）",
                    "parameters": [list_kind, page],
                    "responses": {
                        "200": {"description": "CSV", "content": {"text/csv": {}}},
                        "400": {"description": "参数无效"},
                    },
                }
            },
        },
        "components": {"schemas": {"Entry": ENTRY_SCHEMA}},
    }
