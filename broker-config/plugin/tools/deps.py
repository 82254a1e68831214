#!/usr/bin/env python3
"""Module call graph of the plugin: which cs_<module>__ functions each .c file
calls in other modules, and the circles (strongly connected components).

    tools/deps.py [--funcs] [--dot]      (run from broker-config/plugin)

Exit status 1 when there is a circle."""
import os, re, sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALL = re.compile(r'\bcs_([a-z]+)__([a-z_0-9]+)')


def strip_comments(text):
    token = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
    return token.sub(' ', text)


def graph(root):
    mods = sorted(f[:-2] for f in os.listdir(root) if f.endswith('.c') and not f.startswith('test'))
    edges = {m: {} for m in mods}
    for m in mods:
        with open(os.path.join(root, m + '.c')) as f:
            for mod, verb in CALL.findall(strip_comments(f.read())):
                if mod != m and mod in edges:
                    edges[m].setdefault(mod, set()).add('cs_%s__%s' % (mod, verb))
    return edges


def sccs(edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1
        stack.append(v); on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))

    for v in edges:
        if v not in index: visit(v)
    return out


def main():
    sys.setrecursionlimit(10000)
    edges = graph(HERE)
    if '--dot' in sys.argv:
        print('digraph plugin {')
        for m, deps in edges.items():
            for d in sorted(deps): print('  %s -> %s;' % (m, d))
        print('}')
    else:
        for m, deps in edges.items():
            print('%-10s -> %s' % (m, ' '.join(sorted(deps))))
            if '--funcs' in sys.argv:
                for d in sorted(deps): print('%14s%s: %s' % ('', d, ' '.join(sorted(deps[d]))))
    circles = sccs(edges)
    for c in circles: print('circle: ' + ' '.join(c))
    if not circles: print('no circles')
    return 1 if circles else 0


if __name__ == '__main__':
    sys.exit(main())
