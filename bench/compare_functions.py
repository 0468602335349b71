"""Per-function instruction totals of two variants (see compare-functions.sh)."""
import bisect
import collections
import re
import subprocess
import sys

ROW = re.compile(r'\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)$')
JIT = re.compile(r'\?\?\?:0x([0-9a-f]+) \[\?\?\?\]')


def totals(profile, perf_map):
    """Instructions per function in one callgrind profile; JIT code named from V8's perf map."""
    code = []
    with open(perf_map) as lines:
        for line in lines:
            start, size, name = line.rstrip('\n').split(' ', 2)
            code.append((int(start, 16), int(size, 16), name))
    code.sort()
    starts = [entry[0] for entry in code]
    text = subprocess.run(['callgrind_annotate', '--threshold=100', '--auto=no', profile],
                          capture_output=True, text=True, check=True).stdout
    result = collections.Counter()
    for line in text.split('\n'):
        row = ROW.match(line)
        if not row or 'PROGRAM TOTALS' in row.group(2):
            continue
        count, function = int(row.group(1).replace(',', '')), row.group(2)
        jit = JIT.match(function)
        if jit:
            address = int(jit.group(1), 16)
            i = bisect.bisect_right(starts, address) - 1
            inside = i >= 0 and address < code[i][0] + code[i][1]
            name = 'JIT ' + code[i][2] if inside else 'JIT (unnamed)'
        else:
            name = re.sub(r'\s*\[.*\]$', '', function)
            name = name.split(':', 1)[1] if ':' in name else name
        result[name] += count
    return result


def per_unit(directory, variant, small, large):
    low = totals(f'{directory}/{variant}.{small}.out', f'{directory}/{variant}.{small}.map')
    high = totals(f'{directory}/{variant}.{large}.out', f'{directory}/{variant}.{large}.map')
    return {name: (high[name] - low[name]) / (large - small) for name in set(low) | set(high)}


def main():
    directory, a, b, small, large = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    first, second = per_unit(directory, a, small, large), per_unit(directory, b, small, large)
    print(f'per unit in all: {a} {sum(first.values()):.0f}, {b} {sum(second.values()):.0f}')
    print(f'{"A - B":>8} {"A":>8} {"B":>8}  function (A = {a}, B = {b})')
    names = sorted(set(first) | set(second), key=lambda name: -abs(first.get(name, 0) - second.get(name, 0)))
    for name in names[:40]:
        x, y = first.get(name, 0), second.get(name, 0)
        print(f'{x - y:8.0f} {x:8.0f} {y:8.0f}  {name[:110]}')


main()
