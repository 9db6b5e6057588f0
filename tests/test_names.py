from migrate.hostnames import any_intersect, intersects, matches
from migrate.names import NameAllocator, fit, host_slug, slug


def test_slug_is_a_dns_label():
    assert slug("*.Example.com") == "wildcard-example-com"
    assert host_slug("*.example.com") == "wildcard-example-com"
    assert host_slug(None) == "all-hosts"
    assert slug("--a__b--") == "a-b"
    assert len(slug("x" * 100)) == 63


def test_fit_keeps_long_names_unique():
    a, b = fit("a" * 300 + "1", 253), fit("a" * 300 + "2", 253)
    assert len(a) == 253 and len(b) == 253 and a != b


def test_allocator_never_collides():
    names = NameAllocator()
    names.reserve("HTTPRoute", "ns", "web-2")
    assert names.take("HTTPRoute", "ns", "web") == "web"
    assert names.take("HTTPRoute", "ns", "web") == "web-3"
    assert names.take("HTTPRoute", "other", "web") == "web"


def test_wildcards_match_any_depth_but_not_apex():
    assert matches("*.example.com", "a.example.com")
    assert matches("*.example.com", "a.b.example.com")
    assert not matches("*.example.com", "example.com")
    assert matches(None, "anything")
    assert not matches("a.example.com", "b.example.com")


def test_intersections():
    assert intersects("*.example.com", "a.example.com")
    assert intersects("*.example.com", "*.a.example.com")
    assert not intersects("a.example.com", "b.example.com")
    assert not intersects("*.example.com", "example.com")
    assert any_intersect([], "x.com") and any_intersect(["x.com"], None)
    assert not any_intersect(["x.com"], "y.com")
