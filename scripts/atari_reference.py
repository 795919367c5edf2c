"""Records what envs/tests/atari_*.rs compare mgrl's Atari environments with.

1. area_resize.json: OpenCV's cv2.resize(..., INTER_AREA) of 210 x 160 images made by a
   generator that the Rust test repeats (an LCG), to 84 x 84.
2. ale/<game>.json: raw ale-py episodes, one emulator frame per action (frame_skip 1, sticky
   actions off): the action, reward, game over, lives and the CRC-32 of the grayscale screen
   after each frame, for every game of the 57 but surround.
3. preprocessed/<case>.json: Gymnasium's AtariPreprocessing (frame skip 4, max of the last two
   frames, 84 x 84 INTER_AREA, no no-ops) and FrameStackObservation(4) on ale-py: the action,
   reward, terminated, truncated and the CRC-32 of the 4 x 84 x 84 bytes after each step.

Usage: python atari_reference.py OUT_DIR ROM_DIR
"""

import json
import os
import sys
import zlib

import ale_py
import cv2
import gymnasium as gym
import numpy as np

FRAMES = 1200  # raw frames recorded per game
GAMES = """alien amidar assault asterix asteroids atlantis bank_heist battle_zone beam_rider berzerk
bowling boxing breakout centipede chopper_command crazy_climber defender demon_attack double_dunk
enduro fishing_derby freeway frostbite gopher gravitar hero ice_hockey jamesbond kangaroo krull
kung_fu_master montezuma_revenge ms_pacman name_this_game phoenix pitfall pong private_eye qbert
riverraid road_runner robotank seaquest skiing solaris space_invaders star_gunner tennis time_pilot
tutankham up_n_down venture video_pinball wizard_of_wor yars_revenge zaxxon""".split()


def lcg_image(seed, h=210, w=160):
    """Bytes of x <- 1664525 x + 1013904223 (mod 2^32), the top 8 bits each; the Rust test makes the same."""
    x = seed & 0xFFFFFFFF
    out = np.empty(h * w, dtype=np.uint8)
    for i in range(h * w):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        out[i] = x >> 24
    return out.reshape(h, w)


def blocky_image(h=210, w=160):
    r, c = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return (((r // 3) * 37 + (c // 5) * 91) % 256).astype(np.uint8)


def area_resize(out_dir):
    cases = []
    for seed in [1, 2, 3]:
        img = lcg_image(seed)
        res = cv2.resize(img, (84, 84), interpolation=cv2.INTER_AREA)
        cases.append({"image": f"lcg{seed}", "out": res.flatten().tolist()})
    res = cv2.resize(blocky_image(), (84, 84), interpolation=cv2.INTER_AREA)
    cases.append({"image": "blocky", "out": res.flatten().tolist()})
    with open(os.path.join(out_dir, "area_resize.json"), "w") as f:
        json.dump({"opencv": cv2.__version__, "cases": cases}, f, separators=(",", ":"))


ALE_SEED = 123  # ALE 0.6 takes 0 as "seed from the clock"


def env_seed(seed, index):
    """mgrl_envs::env_seed: splitmix64 of seed + (index + 1) * golden ratio."""
    m = (1 << 64) - 1
    z = (seed + (index + 1) * 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


def ale_seed(seed):
    """The ALE seed of mgrl's environment 0 built with `seed` (atari::Ale::new)."""
    s = env_seed(seed, 0) & 0xFFFFFFFF & 0x7FFFFFFF
    return s if s != 0 else 1


def raw_episode(rom_dir, game, seed):
    ale = ale_py.ALEInterface()
    ale.setLoggerMode(ale_py.LoggerMode.Error)
    ale.setInt("random_seed", ALE_SEED)
    ale.setInt("frame_skip", 1)
    ale.setFloat("repeat_action_probability", 0.0)
    ale.loadROM(os.path.join(rom_dir, game + ".bin"))
    minimal = [a.value for a in ale.getMinimalActionSet()]
    rng = np.random.default_rng(seed)
    rec = {"game": game, "ale_py": ale_py.__version__, "ale_seed": ALE_SEED, "minimal_actions": minimal,
           "first_screen": zlib.crc32(ale.getScreenGrayscale().tobytes()),
           "actions": [], "rewards": [], "game_over": [], "lives": [], "screens": []}
    action = 0
    for t in range(FRAMES):
        if t % 4 == 0:
            action = minimal[int(rng.integers(len(minimal)))]
        r = ale.act(ale_py.Action(action))
        over = ale.game_over()
        rec["actions"].append(action)
        rec["rewards"].append(int(r))
        rec["game_over"].append(bool(over))
        rec["lives"].append(int(ale.lives()))
        rec["screens"].append(zlib.crc32(ale.getScreenGrayscale().tobytes()))
        if over:
            ale.reset_game()
    return rec


def preprocessed(rom_dir, game, seed, steps, terminal_on_life_loss, max_frames):
    gym.register_envs(ale_py)
    kw = {"max_num_frames_per_episode": max_frames} if max_frames else {}
    env = gym.make(f"ALE/{''.join(p.capitalize() for p in game.split('_'))}-v5", frameskip=1,
                   repeat_action_probability=0.0, full_action_space=False, **kw)
    env = gym.wrappers.AtariPreprocessing(env, noop_max=0, frame_skip=4, screen_size=84,
                                          terminal_on_life_loss=terminal_on_life_loss, grayscale_obs=True)
    env = gym.wrappers.FrameStackObservation(env, 4)
    # The emulator seeded as mgrl's environment 0 of seed 0 seeds its own, then reset as ours is.
    env.unwrapped.ale.setInt("random_seed", ale_seed(0))
    env.unwrapped.load_game()
    obs, _ = env.reset()
    rng = np.random.default_rng(seed)
    n = env.action_space.n
    rec = {"game": game, "terminal_on_life_loss": terminal_on_life_loss, "max_frames": max_frames,
           "first_obs": zlib.crc32(np.ascontiguousarray(obs).tobytes()),
           "actions": [], "rewards": [], "terminated": [], "truncated": [], "obs": []}
    for _ in range(steps):
        a = int(rng.integers(n))
        obs, r, term, trunc, _ = env.step(a)
        rec["actions"].append(a)
        rec["rewards"].append(float(r))
        rec["terminated"].append(bool(term))
        rec["truncated"].append(bool(trunc))
        rec["obs"].append(zlib.crc32(np.ascontiguousarray(obs, dtype=np.uint8).tobytes()))
        if term or trunc:
            break
    return rec


def main():
    out_dir, rom_dir = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out_dir, "ale"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "preprocessed"), exist_ok=True)
    area_resize(out_dir)
    for i, game in enumerate(GAMES):
        rec = raw_episode(rom_dir, game, 1000 + i)
        with open(os.path.join(out_dir, "ale", game + ".json"), "w") as f:
            json.dump(rec, f, separators=(",", ":"))
    cases = [("pong", 7, 400, False, None), ("breakout", 8, 400, False, None),
             ("space_invaders", 9, 1000, True, None), ("ms_pacman", 10, 400, False, 602)]
    for game, seed, steps, life, max_frames in cases:
        rec = preprocessed(rom_dir, game, seed, steps, life, max_frames)
        name = game + ("_life_loss" if life else "") + (f"_limit{max_frames}" if max_frames else "")
        with open(os.path.join(out_dir, "preprocessed", name + ".json"), "w") as f:
            json.dump(rec, f, separators=(",", ":"))
        print(name, len(rec["actions"]), "steps; ended:", rec["terminated"][-1], rec["truncated"][-1])


if __name__ == "__main__":
    main()
