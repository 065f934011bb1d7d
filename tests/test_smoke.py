def test_group_roundtrip(any_harness):
    h = any_harness
    h.ok('/group create "Linear Algebra" proofs --capacity 2', as_user="you")
    h.ok("/group join linear algebra", as_user="ana")
    assert "full" in h.fails("/group join Linear Algebra", as_user="bo")
    info = h.ok("/group info Linear Algebra")
    assert info.reply.items == ("you - facilitator", "ana - member")
