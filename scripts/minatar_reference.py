"""Records MinAtar episodes from the reference package for envs/tests/minatar_reference.rs.

For each game, a few *runs*: one `minatar.Environment` (sticky actions, ramping on or off)
playing several episodes back to back, as an agent would (the sticky action carries over a
reset, as in the reference). The environment's numpy RandomState, shared by the sticky-action
wrapper and the game, is replaced by a recorder that logs every draw: which call (`rand` or
`randint(low, high)`; numpy's vector draws as that many scalar ones) and what it returned.
Per step the file keeps the action (an index into the game's minimal action set), the draws
the step consumed, the reward, whether the game is over, and the observation.

Actions come from a policy seeded apart from the game: uniformly random in some episodes, and
in others a one-step lookahead on copies of the game (with their own random numbers) that
avoids losing and follows a per-game aim, with random moves mixed in, so that episodes last
long enough to reach difficulty ramps, rebuilt bricks, crossings and surfacing.

File format (little endian; varint = LEB128, signed values zig-zag):
    b"MINATAR1", u8 channels, u8 actions, varint runs
    run:     f64 sticky_action_prob, u8 ramping, varint episodes
    episode: varint steps, draws (of the reset), packed observation, then each step
    step:    u8 action, draws, varint (2 * reward + game over), observation change
    draws:   varint count, then each: u8 0 and f64 (rand) or u8 1 and zig-zag low, high, value
    packed observation: bit k = channel * 100 + row * 10 + column, 8 to a byte, lowest first
    observation change: varint count of bits that flipped, then their k in increasing order,
                        each as the gap from the previous one (the first from 0)
"""

import copy
import struct
import sys

import numpy as np
from minatar import Environment

GAMES = ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]


class RecordingRandomState:
    """A numpy RandomState that logs each value it hands out."""

    def __init__(self, seed):
        self._random = np.random.RandomState(seed)
        self.draws = []

    def rand(self, *size):
        value = self._random.rand(*size)
        self.draws += [("rand", float(v)) for v in np.atleast_1d(value)]
        return value

    def randint(self, low, high=None, size=None):
        value = self._random.randint(low, high, size)
        low, high = (0, low) if high is None else (low, high)
        self.draws += [("randint", int(low), int(high), int(v)) for v in np.atleast_1d(value)]
        return value

    def take(self):
        draws, self.draws = self.draws, []
        return draws

    def __getattr__(self, name):
        raise AttributeError(f"RandomState.{name} is not recorded: add it to the recorder")


def aim(name, game):
    """How much the policy likes the game's state (higher is better), besides rewards."""
    if name == "breakout":
        # Where the ball will reach the bottom row, walls reflecting it (bricks ignored).
        x, dx = game.ball_x, 1 if game.ball_dir in (1, 2) else -1
        for _ in range(9 - game.ball_y if game.ball_dir in (2, 3) else 0):
            x, dx = (x + dx, dx) if 0 <= x + dx <= 9 else (x, -dx)
        return -abs(game.pos - x)
    if name == "asterix":
        gold = [abs(e[0] - game.player_x) + abs(e[1] - game.player_y) for e in game.entities if e and e[3]]
        return -min(gold, default=0)
    if name == "freeway":
        return -game.pos
    if name == "space_invaders":
        # Under the lowest aliens, bullets in flight, none coming down on the cannon.
        rows = np.flatnonzero(game.alien_map.any(axis=1))
        lowest = np.flatnonzero(game.alien_map[rows.max()]) if len(rows) else [game.pos]
        danger = game.e_bullet_map[5:, game.pos].sum()
        return -min(abs(x - game.pos) for x in lowest) + game.f_bullet_map.sum() - 5.0 * danger
    # Seaquest: surface when low on oxygen with a diver aboard, else chase divers and enemies.
    if game.diver_count > 0 and (game.oxygen < 80 or game.diver_count >= 6):
        return -game.sub_y
    targets = game.divers if game.diver_count < 6 else []
    targets = targets or game.e_fish + game.e_subs
    rows = [abs(t[1] - game.sub_y) + 0.2 * abs(t[0] - game.sub_x) for t in targets]
    return -min(rows, default=abs(game.sub_y - 4))


def lookahead(name, game, actions, policy):
    """Picks the action whose next two frames (on copies) look best: not losing first."""
    saved, game.random = game.random, None
    try:
        scores = []
        for a in actions:
            first = copy.deepcopy(game)
            first.random = np.random.RandomState(policy.randint(2**31))
            r, over = first.act(a)
            best_next = -1e9
            if not over:
                for b in actions:
                    second = copy.deepcopy(first)
                    r2, over2 = second.act(b)
                    best_next = max(best_next, r2 - 100.0 * over2)
            scores.append(10.0 * r - 1000.0 * over + best_next + aim(name, first) + 1e-3 * policy.rand())
    finally:
        game.random = saved
    return actions[int(np.argmax(scores))]


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def zigzag(n):
    return varint(2 * n if n >= 0 else -2 * n - 1)


def encode_draws(draws):
    out = bytearray(varint(len(draws)))
    for d in draws:
        if d[0] == "rand":
            out += b"\x00" + struct.pack("<d", d[1])
        else:
            out += b"\x01" + zigzag(d[1]) + zigzag(d[2]) + zigzag(d[3])
    return bytes(out)


def bits(state):
    """Channels-first bits of the reference's [10, 10, C] boolean state."""
    return np.transpose(state, (2, 0, 1)).reshape(-1).astype(bool)


def encode_change(before, after):
    flipped = np.flatnonzero(before != after)
    out = bytearray(varint(len(flipped)))
    previous = 0
    for k in flipped:
        out += varint(int(k) - previous)
        previous = int(k)
    return bytes(out)


def record_run(name, seed, sticky, ramping, epsilons, max_steps):
    """One environment playing an episode per ε (the share of random actions) back to back."""
    env = Environment(name, sticky_action_prob=sticky, difficulty_ramping=ramping)
    random = RecordingRandomState(seed)
    env.random = env.env.random = random
    policy = np.random.RandomState(seed + 1_000_000)
    actions = env.minimal_action_set()
    out = bytearray(struct.pack("<dB", sticky, ramping) + varint(len(epsilons)))
    stats = []
    for epsilon in epsilons:
        env.reset()
        obs = bits(env.state())
        head = encode_draws(random.take()) + np.packbits(obs, bitorder="little").tobytes()
        steps = bytearray()
        n, total, over, ramp = 0, 0, False, 0
        while not over and n < max_steps:
            if policy.rand() < epsilon:
                index = policy.randint(len(actions))
            else:
                index = actions.index(lookahead(name, env.env, actions, policy))
            reward, over = env.act(actions[index])
            reward = int(reward)
            assert reward >= 0, reward
            after = bits(env.state())
            steps += bytes([index]) + encode_draws(random.take()) + varint(2 * reward + int(over))
            steps += encode_change(obs, after)
            obs = after
            n, total = n + 1, total + reward
            ramp = max(ramp, env.env.difficulty_ramp() or 0)
        out += varint(n) + head + steps
        stats.append((epsilon, n, total, over, ramp))
    return bytes(out), stats


# Per game: runs of (sticky_action_prob, ramping, ε of each episode); episodes are capped
# at MAX_STEPS steps (the last one then is not a game over).
RUNS = {
    "asterix": [(0.1, True, [1.0] * 40), (0.1, True, [0.1, 0.05, 0.02]), (0.0, False, [1.0] * 3 + [0.05])],
    "breakout": [(0.1, True, [1.0] * 40), (0.1, True, [0.02, 0.05, 0.1]), (0.0, False, [1.0] * 3 + [0.02])],
    "freeway": [(0.1, True, [1.0, 0.3]), (0.0, False, [0.1])],
    "seaquest": [(0.1, True, [1.0] * 40), (0.1, True, [0.05, 0.02, 0.1]), (0.0, False, [1.0] * 3 + [0.05])],
    "space_invaders": [
        (0.1, True, [1.0] * 20),
        (0.1, True, [0.05, 0.02, 0.02]),
        (0.0, True, [0.02] * 4),
        (0.0, False, [1.0] * 3 + [0.05]),
    ],
}
MAX_STEPS = 3000


def main(folder, games):
    for name in games:
        g = GAMES.index(name)
        env = Environment(name)
        out = bytearray(b"MINATAR1" + bytes([env.state_shape()[2], len(env.minimal_action_set())]))
        out += varint(len(RUNS[name]))
        for r, (sticky, ramping, epsilons) in enumerate(RUNS[name]):
            data, stats = record_run(name, 1000 * g + r, sticky, ramping, epsilons, MAX_STEPS)
            out += data
            for epsilon, n, total, over, ramp in stats:
                end = "game over" if over else "cut"
                print(f"{name} run {r} ε={epsilon}: {n} steps, return {total}, {end}, ramp {ramp}")
        path = f"{folder}/{name}.bin"
        with open(path, "wb") as f:
            f.write(out)
        print(f"{path}: {len(out)} bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:] or GAMES)
