"""One measurement of BENCHMARKS.md's Atari rows, for a peer of mgrl's `atari_bench` example:
ale-py's raw emulator on one thread, ale-py's `AtariVectorEnv`, or EnvPool, the vectorised ones
with the preprocessing of mgrl's Atari defaults (frame skip 4, max of the last two frames,
84 x 84 grayscale, 4 stacked, up to 30 no-ops, no sticky actions, no episodic life, no reward
clipping, no fire reset, 108,000 frames an episode at most) and uniformly random actions.
Frames are 4 x steps for the vectorised ones. Prints one line: `<peer> <mode> <game> <envs>
<threads> <frames/s>`, as `atari_bench` does.

Usage: python atari_bench.py raw|alepy-vec|envpool GAME ENVS THREADS SECONDS ROM_DIR
"""
import os
import sys
import time

import numpy as np


def camel(game):
    return "".join(p.capitalize() for p in game.split("_"))


def raw(game, seconds, rom_dir):
    import ale_py
    ale = ale_py.ALEInterface()
    ale.setLoggerMode(ale_py.LoggerMode.Error)
    ale.setInt("random_seed", 1)
    ale.setInt("frame_skip", 1)
    ale.setFloat("repeat_action_probability", 0.0)
    ale.loadROM(os.path.join(rom_dir, game + ".bin"))
    actions = ale.getMinimalActionSet()
    rng = np.random.default_rng(0)
    frames, a, start = 0, actions[0], time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            if frames % 4 == 0:
                a = actions[rng.integers(len(actions))]
            ale.act(a)
            if ale.game_over():
                ale.reset_game()
            frames += 1
    return frames / (time.perf_counter() - start)


def vectorised(env, n, seconds, seed=True):
    env.reset(seed=0) if seed else env.reset()
    space = env.single_action_space if hasattr(env, "single_action_space") else env.action_space
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.integers(space.n, size=n))
        steps += n
    return 4 * steps / (time.perf_counter() - start)


def main():
    mode, game = sys.argv[1], sys.argv[2]
    n, threads, seconds, rom_dir = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    if mode == "raw":
        peer, fps = "ale-py", raw(game, seconds, rom_dir)
    elif mode == "alepy-vec":
        from ale_py.vector_env import AtariVectorEnv
        env = AtariVectorEnv(game=game, num_envs=n, batch_size=n, num_threads=threads, frameskip=4,
                             grayscale=True, stack_num=4, img_height=84, img_width=84, maxpool=True,
                             noop_max=30, repeat_action_probability=0.0, episodic_life=False,
                             use_fire_reset=False, reward_clipping=False, max_num_frames_per_episode=108000)
        peer, fps = "ale-py-vector", vectorised(env, n, seconds)
        env.close()
    elif mode == "envpool":
        import envpool
        env = envpool.make_gymnasium(f"{camel(game)}-v5", num_envs=n, batch_size=n, num_threads=threads,
                                     frame_skip=4, stack_num=4, img_height=84, img_width=84, noop_max=30,
                                     episodic_life=False, reward_clip=False, use_fire_reset=False,
                                     repeat_action_probability=0.0, max_episode_steps=27000, seed=0)
        peer, fps = "envpool", vectorised(env, n, seconds, seed=False)  # seeded by make
    else:
        sys.exit(__doc__)
    print(f"{peer} {'raw' if mode == 'raw' else 'vec'} {game} {n if mode != 'raw' else 1} "
          f"{threads if mode != 'raw' else 1} {fps:.0f}")


if __name__ == "__main__":
    main()
