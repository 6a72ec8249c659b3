"""`{% extends %}` and `{% include %}` that keep the template they load (a builtin library: TEMPLATES' "builtins").

Django's own nodes find their template again on every render: `{% extends "base.html" %}` asks the engine's loaders
for base.html and then walks every node of it for its `{% block %}`s (the walk alone ~0.1 ms a staff page, base.html
being ~150 nodes); `{% include "x.html" %}` asks the loaders once per render of the page. With the cached loader the
answer is the same compiled template every time, so these nodes keep it, and the parent's blocks, on the node itself
— which lives as long as the compiled template that holds it: an edited template (development's autoreload) or a
new engine (a test's TEMPLATES) parses afresh and starts without them.

Only a literal name is kept (`{% extends "base.html" %}`, not `{% extends layout %}`), and never where the engine's
`skip` history would pick another file of that name (a template extending its own name, or an override chain that
comes back to the parent's name): those render as Django's.
Rendering is otherwise Django's own: the same BlockContext, the same history entry, the same render state.
"""

from django import template
from django.template import loader_tags
from django.template.base import TextNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode, IncludeNode

register = template.Library()


def _literal(expression) -> str | None:
    """The template name a FilterExpression always resolves to, or None if it depends on the context."""
    if expression.filters or not isinstance(expression.var, str):
        return None
    return expression.var


class KeptExtendsNode(ExtendsNode):
    def __init__(self, nodelist, parent_name, template_dirs=None):
        super().__init__(nodelist, parent_name, template_dirs)
        self.name = _literal(parent_name)
        self.kept = None  # (the parent Template, its blocks if it is the root template, else None)

    def render(self, context):
        name = self.name
        if name is None or name == self.origin.template_name:
            return super().render(context)
        history = context.render_context.get(self.context_key)
        if history and any(origin.template_name == name for origin in history):
            # An override chain that comes back to the parent's name: the engine skips what it has seen.
            return super().render(context)
        kept = self.kept
        if kept is None:
            parent = self.get_parent(context)
            kept = self.kept = (parent, self._root_blocks(parent))
        else:
            # What find_template does besides loading: the history the parent's own {% extends %} skips.
            context.render_context.setdefault(self.context_key, [self.origin]).append(kept[0].origin)
        parent, parent_blocks = kept
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        if parent_blocks is not None:
            block_context.add_blocks(parent_blocks)
        with context.render_context.push_state(parent, isolated_context=False):
            return parent._render(context)

    @staticmethod
    def _root_blocks(parent) -> dict | None:
        """The parent's blocks if it extends nothing (as ExtendsNode.render finds them), None if it extends."""
        for node in parent.nodelist:
            if not isinstance(node, TextNode):
                if isinstance(node, ExtendsNode):
                    return None
                break
        return {node.name: node for node in parent.nodelist.get_nodes_by_type(BlockNode)}


class KeptIncludeNode(IncludeNode):
    def __init__(self, template, *args, **kwargs):
        super().__init__(template, *args, **kwargs)
        self.name = _literal(template)
        self.kept = None

    def render(self, context):
        if self.name is None:
            return super().render(context)
        if self.kept is None:
            self.kept = context.template.engine.get_template(self.name)
        values = {name: var.resolve(context) for name, var in self.extra_context.items()}
        if self.isolated_context:
            return self.kept.render(context.new(values))
        with context.push(**values):
            return self.kept.render(context)


@register.tag("extends")
def do_extends(parser, token):
    node = loader_tags.do_extends(parser, token)
    return KeptExtendsNode(node.nodelist, node.parent_name, node.template_dirs)


@register.tag("include")
def do_include(parser, token):
    node = loader_tags.do_include(parser, token)
    return KeptIncludeNode(node.template, extra_context=node.extra_context, isolated_context=node.isolated_context)
