"""The catalogue names its models rather than importing them (a cold start loads only the
ones its route reads): each name must lead to the model of the resource's own kind."""
from __future__ import annotations

import pytest

from chalicelib.api.catalogue import CATALOGUE, Resource

# One model serves both binding kinds; the kind is set when a binding is written.
SHARED = {("clusterrolebindings", "ClusterRoleBinding"): "RoleBinding"}


@pytest.mark.parametrize("key, resource", [(key, resource) for key, resource in
                                           CATALOGUE.items() if resource.model_name])
def test_each_named_model_is_the_resources_kind(key: str, resource: Resource) -> None:
    kind = SHARED.get((key, resource.kind), resource.kind)
    assert resource.model is not None
    assert resource.model.model_fields["kind"].default == kind
    if resource.list_model_name:
        assert resource.list_model is not None
        assert resource.list_model.model_fields["kind"].default == f"{kind}List"


def test_a_resource_without_a_model_names_none() -> None:
    history = CATALOGUE["imagestreamtags/history"]
    assert (history.model, history.list_model) == (None, None)
