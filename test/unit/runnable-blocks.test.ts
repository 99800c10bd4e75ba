// test/helpers/runnable-blocks.ts: how test/docs.bats reads the walkthroughs' runnable blocks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BlockError, commandList, expected, runnableBlocks, transcriptPattern } from '../helpers/runnable-blocks.ts';

const fence = '```';

function page(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Whether `text` matches `pattern` with bash's [[ =~ ]] (POSIX ERE), as bats-assert's --regexp matches it. */
function matches(pattern: string, text: string): boolean {
  return spawnSync('bash', ['-c', '[[ $2 =~ $1 ]]', '_', pattern, text]).status === 0;
}

describe('runnableBlocks', () => {
  it('reads the pod flags, the mode and the commands, continuation lines included', () => {
    const [block, ...rest] = runnableBlocks(
      'p.md',
      page(
        'text',
        `${fence}console runnable pod="--service-account test/default --no-automount" output=pattern`,
        '$ echo one \\',
        '  two',
        'one two …',
        '$ true',
        fence,
      ),
    );
    assert.equal(rest.length, 0);
    assert.equal(block?.line, 2);
    assert.deepEqual(block?.podFlags, ['--service-account', 'test/default', '--no-automount']);
    assert.equal(block?.mode, 'pattern');
    assert.deepEqual(
      block?.commands.map((command) => command.code),
      ['echo one \\\n  two', 'true'],
    );
  });

  it('skips norun blocks and blocks in other languages', () => {
    const blocks = runnableBlocks('p.md', page(`${fence}sh norun`, 'npm ci', fence, `${fence}yaml`, 'a: 1', fence));
    assert.deepEqual(blocks, []);
  });

  it('refuses a shell block that does not say whether it runs', () => {
    assert.throws(() => runnableBlocks('p.md', page('', `${fence}console`, '$ ls', fence)), {
      name: 'Error',
      message: 'p.md:2: a console block must say "runnable" or "norun" after the language',
    });
  });

  it('refuses output before the first command, an unknown attribute, and a pattern block without a wildcard', () => {
    for (const [info, body, message] of [
      ['console runnable', ['hello', '$ ls'], 'p.md:1: output before the first "$ " command'],
      ['console runnable user=x', ['$ ls'], 'p.md:1: unknown attribute user= (pod=, as=, output=)'],
      ['console runnable output=pattern', ['$ ls', 'a'], 'p.md:1: output=pattern but no "…" in the output: make it output=exact'],
    ] as const) {
      assert.throws(
        () => runnableBlocks('p.md', page(`${fence}${info}`, ...body, fence)),
        (err: unknown) => {
          assert.ok(err instanceof BlockError);
          assert.equal(err.message, message);
          return true;
        },
      );
    }
  });
});

describe('expected', () => {
  it('is the block text itself for output=exact', () => {
    const [block] = runnableBlocks('p.md', page(`${fence}console runnable`, '$ echo a.b', 'a.b', fence));
    assert.equal(expected(block!), '$ echo a.b\na.b\n');
  });
});

describe('transcriptPattern', () => {
  const [block] = runnableBlocks(
    'p.md',
    page(`${fence}console runnable output=pattern`, '$ printf "%s\\n" "[x] (y) $HOME"', '[x] (y) …', '$ ls', '…', 'end.txt', fence),
  );
  const pattern = transcriptPattern(block!);

  it('matches the transcript with any text where a line shows "…", and any lines where a line is only "…"', () => {
    assert.ok(matches(pattern, '$ printf "%s\\n" "[x] (y) $HOME"\n[x] (y) /root\n$ ls\na\nb\nend.txt'));
    assert.ok(matches(pattern, '$ printf "%s\\n" "[x] (y) $HOME"\n[x] (y) \n$ ls\nend.txt'));
  });

  it('does not match when a fixed part changes, and "…" never spans a line break', () => {
    assert.ok(!matches(pattern, '$ printf "%s\\n" "[x] (y) $HOME"\n[x] (z) /root\n$ ls\nend.txt'));
    assert.ok(!matches(pattern, '$ printf "%s\\n" "[x] (y) $HOME"\n[x] (y) /root\n$ ls\nend.txt\nmore'));
    assert.ok(!matches(pattern, '$ printf "%s\\n" "[x] (y) $HOME"\n[x] (y) a\nb\n$ ls\nend.txt'));
    assert.ok(!matches(pattern, '$ printf "%s\\n" "[x] (y) $HOME"\n[x] (y) /root\n$ lsx\nend.txt'));
  });
});

describe('commandList', () => {
  it('lists the commands of every runnable block, comment-only commands left out', () => {
    const blocks = runnableBlocks('p.md', page(`${fence}console runnable`, '$ # 读取令牌', '$ TOKEN=x', fence));
    assert.deepEqual(commandList(blocks), ['TOKEN=x']);
  });
});
