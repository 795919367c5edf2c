"""Frames per second of ale-py (raw, one thread), ale-py's vector environment and EnvPool,
with the preprocessing of mgrl's Atari defaults (frame skip 4, max of the last two frames,
84 x 84 grayscale INTER_AREA, 4 stacked, up to 30 no-ops, no sticky actions, no episodic
life, no reward clipping, no fire reset). Usage: python atari_bench.py GAME ENVS THREADS SECONDS ROM_DIR
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
    ale.setFloat("repeat_action_probability", 0.0)
    ale.loadROM(os.path.join(rom_dir, game + ".bin"))
    actions = ale.getMinimalActionSet()
    rng = np.random.default_rng(0)
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            if frames % 4 == 0:
                a = actions[rng.integers(len(actions))]
            ale.act(a)
            if ale.game_over():
                ale.reset_game()
            frames += 1
    print(f"{game} ale-py raw 1 thread: {frames / (time.perf_counter() - start):.0f} frames/s")


def measure(name, env, n, seconds):
    env.reset(seed=0)
    space = env.single_action_space if hasattr(env, "single_action_space") else env.action_space
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.integers(space.n, size=n))
        steps += n
    secs = time.perf_counter() - start
    print(f"{name}: {steps / secs:.0f} steps/s, {4 * steps / secs:.0f} frames/s")


def main():
    game, n, threads, seconds, rom_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    raw(game, seconds, rom_dir)
    try:
        from ale_py.vector_env import AtariVectorEnv
        env = AtariVectorEnv(game=game, num_envs=n, num_threads=threads, frameskip=4, grayscale=True,
                             stack_num=4, img_height=84, img_width=84, noop_max=30,
                             repeat_action_probability=0.0, episodic_life=False, use_fire_reset=False,
                             reward_clipping=False, max_num_frames_per_episode=108000)
        measure(f"{game} ale-py AtariVectorEnv {n} envs {threads} threads", env, n, seconds)
        env.close()
    except Exception as e:  # noqa: BLE001
        print(f"ale-py vector env: not measured ({e})")
    try:
        import envpool
        env = envpool.make_gymnasium(f"{camel(game)}-v5", num_envs=n, num_threads=threads, batch_size=n,
                                     frame_skip=4, stack_num=4, img_height=84, img_width=84, noop_max=30,
                                     episodic_life=False, reward_clip=False, use_fire_reset=False,
                                     repeat_action_probability=0.0, max_episode_steps=27000, seed=0)
        measure(f"{game} envpool {n} envs {threads} threads", env, n, seconds)
    except Exception as e:  # noqa: BLE001
        print(f"envpool: not measured ({e})")


if __name__ == "__main__":
    main()
