"""The records kernel: what every record concept shares, by the registry's names.

`crud` the create/update/delete path (`EntitySpec`), `values` moving values between
registry names and rows, `listing` and `search` the lists' filters, sorts and cursors,
`lookup` reading another concept's records by entity name. It builds on the registry
and storage and names no concept.
"""
