#!/usr/bin/env python3
"""make layers: daemon/ includes go down the order of daemon/LAYERS only.

usage: layers.py [ROOT]   (ROOT holds daemon/, include/ and tests/)

Fails, naming FILE:LINE, on an include of a header owned by a folder on the
same line of LAYERS or a later one, on a folder or file outside LAYERS, on a
header in include/intaked/ that no folder owns or that only its own folder
uses (it belongs beside its sources), on a reach into another folder's
private header, and on a cycle of headers.
"""
import os
import re
import sys

INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')


def read_layers(root):
    rank = {}
    with open(os.path.join(root, 'daemon', 'LAYERS')) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            for folder in line:
                rank[folder] = len(set(rank.values()))
    return rank


def includes(path):
    with open(path, errors='replace') as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1)


def sources(root, errors, rank):
    """{path: folder} of daemon/FOLDER/*.[ch]."""
    out = {}
    daemon = os.path.join(root, 'daemon')
    for entry in sorted(os.listdir(daemon)):
        full = os.path.join(daemon, entry)
        if entry == 'LAYERS':
            continue
        if not os.path.isdir(full):
            errors.append(f'daemon/{entry}: a source outside the folders of daemon/LAYERS')
            continue
        if entry not in rank:
            errors.append(f'daemon/{entry}/: a folder not named in daemon/LAYERS')
            continue
        for name in sorted(os.listdir(full)):
            if name.endswith(('.c', '.h')):
                out[os.path.normpath(os.path.join(full, name))] = entry
    return out


def header_owners(root, srcs, errors):
    """{name.h: folder}: a public header belongs to the folder of name.c."""
    by_stem = {}
    for path, folder in srcs.items():
        if path.endswith('.c'):
            by_stem[os.path.basename(path)[:-2]] = folder
    owners = {}
    pub = os.path.normpath(os.path.join(root, 'include', 'intaked'))
    for name in sorted(os.listdir(pub)):
        if not name.endswith('.h'):
            continue
        folder = by_stem.get(name[:-2])
        if folder is None:
            errors.append(f'include/intaked/{name}: no daemon/*/{name[:-2]}.c owns it')
        else:
            owners[name] = folder
    return owners


def check_edges(root, srcs, owners, rank, errors):
    """Each include in daemon/ and include/intaked/; returns header edges."""
    used_from = {name: set() for name in owners}
    edges = {}
    pub = os.path.normpath(os.path.join(root, 'include', 'intaked'))
    files = dict(srcs)
    for name, folder in owners.items():
        files[os.path.join(pub, name)] = folder
    for path, folder in files.items():
        rel = os.path.relpath(path, root)
        for line, target in includes(path):
            if target.startswith('intaked/'):
                name = target[len('intaked/'):]
                owner = owners.get(name)
                if owner is None:
                    continue  # reported by header_owners, or not ours
                if not path.startswith(pub):
                    used_from[name].add(folder)
                edges.setdefault(path, []).append((line, os.path.join(pub, name)))
                if owner != folder and rank[owner] >= rank[folder]:
                    where = 'beside' if rank[owner] == rank[folder] else 'above'
                    errors.append(f'{rel}:{line}: includes {target} of {owner}/, '
                                  f'which is {where} {folder}/ in daemon/LAYERS')
            else:
                beside = os.path.normpath(os.path.join(os.path.dirname(path), target))
                if os.path.dirname(beside) == os.path.normpath(os.path.dirname(path)) and os.path.exists(beside):
                    edges.setdefault(path, []).append((line, beside))
                elif os.path.exists(os.path.join(pub, target)):
                    errors.append(f'{rel}:{line}: include "{target}" as "intaked/{target}"')
                elif os.path.exists(beside) or '/' not in target:
                    errors.append(f'{rel}:{line}: "{target}" is another folder\'s '
                                  'private header (or none)')
    for name, folders in sorted(used_from.items()):
        if folders <= {owners[name]} and not used_outside(root, name):
            errors.append(f'include/intaked/{name}: only {owners[name]}/ uses it; '
                          f'it belongs in daemon/{owners[name]}/')
    return edges


def used_outside(root, name):
    """Test tools and fuzz harnesses link the library from outside daemon/."""
    for sub in ('tests/tools', 'tests/fuzz'):
        top = os.path.join(root, sub)
        if not os.path.isdir(top):
            continue
        for f in os.listdir(top):
            if f.endswith('.c'):
                for _, target in includes(os.path.join(top, f)):
                    if target == f'intaked/{name}':
                        return True
    return False


def find_cycle(edges, root):
    state = {}

    def visit(node, trail):
        state[node] = 1
        for _, nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, trail + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node, [node])
            if found:
                return ' -> '.join(os.path.relpath(p, root) for p in found)
    return None


def check(root):
    errors = []
    rank = read_layers(root)
    srcs = sources(root, errors, rank)
    owners = header_owners(root, srcs, errors)
    edges = check_edges(root, srcs, owners, rank, errors)
    cycle = find_cycle(edges, root)
    if cycle:
        errors.append(f'include cycle: {cycle}')
    return errors, srcs, edges


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    errors, srcs, edges = check(root)
    for e in errors:
        print(f'layers: {e}', file=sys.stderr)
    if errors:
        return 1
    folders = len(set(srcs.values()))
    n_edges = sum(len(v) for v in edges.values())
    print(f'layers: ok, {len(srcs)} files in {folders} folders, {n_edges} include edges, '
          'all going down daemon/LAYERS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
