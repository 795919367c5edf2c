"""Records Gymnasium CartPole-v1 episodes for envs/tests/cartpole.rs.

Each episode starts from a given initial state (Gymnasium's own reset under a seed, or one
written here to reach the cart-position limit) and follows recorded actions: uniformly
random ones, a constant push, or a linear balancing controller that lasts until the
500-step time limit. Every state is the environment's f64 state after the step.
"""

import json
import sys

import gymnasium as gym
import numpy as np


def controller(state):
    """Pushes towards where the pole is falling: keeps it up for the whole episode."""
    x, x_dot, theta, theta_dot = state
    return int(0.1 * x + 0.5 * x_dot + 10.0 * theta + 2.0 * theta_dot > 0.0)


def episode(name, seed, policy, initial_state=None):
    env = gym.make("CartPole-v1")
    env.reset(seed=seed)
    if initial_state is not None:
        env.unwrapped.state = np.array(initial_state, dtype=np.float64)
    start = [float(s) for s in env.unwrapped.state]
    rng = np.random.default_rng(seed)
    steps = []
    while True:
        state = [float(s) for s in env.unwrapped.state]
        if policy == "random":
            action = int(rng.integers(2))
        elif policy == "right":
            action = 1
        else:
            action = controller(state)
        _, reward, terminated, truncated, _ = env.step(action)
        steps.append(
            {
                "action": action,
                "state": [float(s) for s in env.unwrapped.state],
                "reward": float(reward),
                "terminated": bool(terminated),
                "truncated": bool(truncated),
            }
        )
        if terminated or truncated:
            break
    env.close()
    return {"name": name, "initial_state": start, "steps": steps}


def main(path):
    episodes = [
        episode("random actions, seed 0", 0, "random"),
        episode("random actions, seed 1", 1, "random"),
        episode("random actions, seed 2", 2, "random"),
        episode("constant push right, seed 3", 3, "right"),
        episode("balancing controller to the time limit, seed 4", 4, "controller"),
        episode("near the right edge, pushed over it", 5, "right", [2.3, 0.8, 0.0, 0.0]),
    ]
    assert episodes[4]["steps"][-1]["truncated"] and len(episodes[4]["steps"]) == 500
    meta = {"gymnasium": gym.__version__, "numpy": np.__version__, "env": "CartPole-v1"}
    with open(path, "w") as f:
        json.dump({"source": meta, "episodes": episodes}, f, separators=(",", ":"))
        f.write("\n")
    for e in episodes:
        last = e["steps"][-1]
        print(f"{e['name']}: {len(e['steps'])} steps, terminated={last['terminated']}, truncated={last['truncated']}")


if __name__ == "__main__":
    main(sys.argv[1])
