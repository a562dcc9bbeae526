"""Pagers that never count the whole list.

Counting 100,000 rows costs more than the page it numbers. These pagers fetch one row more
than the page holds: that row says whether there is a next page, and nothing else is needed
to draw "previous / next". The exact total is known only when the list ends on this page.

* `NextPagePaginator` for Django's `ListView` (`paginator_class = NextPagePaginator`);
* `NextPagePagination` for a DRF list: `{"count", "next", "previous", "results"}` where
  `count` is the total when this page is the last one and `null` otherwise.
"""

from django.core.paginator import EmptyPage, InvalidPage, Page, PageNotAnInteger, Paginator
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response


class NextPage(Page):
    """A page that knows whether a next one exists, not how many there are."""

    def __init__(self, object_list, number, paginator, has_next):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next

    def has_previous(self):
        return self.number > 1

    def next_page_number(self):
        if not self._has_next:
            raise EmptyPage(_("That page contains no results"))
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1

    def start_index(self):
        if not self.object_list:
            return 0
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self):
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)

    @property
    def total(self):
        """The number of rows in the whole list when this page is the last, else None."""
        if self._has_next:
            return None
        return self.end_index()


class NextPagePaginator(Paginator):
    """A `Paginator` whose `page()` runs one query (page size + 1 rows) and no COUNT.

    `count` and `num_pages` are not available (the "last" page number neither): use the
    page's `has_next()` and `total`."""

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        offset = (number - 1) * self.per_page
        rows = list(self.object_list[offset : offset + self.per_page + 1])
        has_next = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and number > 1:
            raise EmptyPage(_("That page contains no results"))
        return NextPage(rows, number, self, has_next)

    @property
    def count(self):
        raise NotImplementedError("NextPagePaginator does not count; use page.has_next().")

    @property
    def num_pages(self):
        raise NotImplementedError("NextPagePaginator does not count; use page.has_next().")


class NextPagePagination(pagination.PageNumberPagination):
    """DRF page-number pagination without COUNT: `count` is the total on the last page,
    `null` on the others; `next` is null on the last page. Page past the end: 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = NextPagePaginator(queryset, page_size)
        number = request.query_params.get(self.page_query_param) or 1
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise NotFound(
                self.invalid_page_message.format(page_number=number, message=str(exc))
            ) from exc
        return list(self.page)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.total,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": "The number of results when this is the last page; null when "
            "there are more pages (the list is not counted).",
        }
        response["required"] = ["count", "results"]
        return response

    def get_html_context(self):
        return {
            "previous_url": self.get_previous_link(),
            "next_url": self.get_next_link(),
            "page_links": [],
        }
