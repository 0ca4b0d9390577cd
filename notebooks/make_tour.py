"""Write notebooks/tour.ipynb (outputs cleared). Run: .venv/bin/python notebooks/make_tour.py"""

from pathlib import Path

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# A short tour of `retarget`\n\n"
        "Extract a real dance clip, retarget its motion onto another performer's body, look at the "
        "result from three angles, denoise, and render. Runs offline on the shared data "
        "(`../shared`, or `RETARGET_SHARED`)."
    ),
    nbf.v4.new_code_cell(
        "import os\nfrom pathlib import Path\n\n"
        "import matplotlib\nmatplotlib.use('Agg')\n"
        "SHARED = Path(os.environ.get('RETARGET_SHARED', Path.cwd().parent / 'shared'))\n"
        "if not SHARED.exists():\n    SHARED = Path.cwd().parent.parent / 'shared'\n"
        "MEDIA, OPENPOSE = SHARED / 'media', SHARED / 'openpose_real'\n"
        "OUT = Path(os.environ.get('TOUR_OUT', 'tour_out'))\nOUT.mkdir(exist_ok=True)\n"
        "assert MEDIA.exists(), f'shared data not found at {SHARED}'"
    ),
    nbf.v4.new_markdown_cell("## 1. Extract a clip\nBlazePose (bundled with mediapipe 0.10.14) on the first 48 frames."),
    nbf.v4.new_code_cell(
        "import retarget\n\n"
        "clip = retarget.load(MEDIA / 'v02_animatex_dance_1.mp4', max_frames=48, max_side=384)\n"
        "motion = retarget.as_2d(clip)\n"
        "print(clip.skeleton.name, clip.coords.shape, clip.fps, 'person in', int(clip.present.sum()), 'frames')"
    ),
    nbf.v4.new_markdown_cell("## 2. Retarget onto another performer\nThe body of `small_man` (real OpenPose output), the view of the dancer."),
    nbf.v4.new_code_cell(
        "structure = retarget.read_2d(OPENPOSE / 'small_man', fps=30)\n"
        "model = retarget.load_retargeter(device='cpu')\n"
        "result = model(motion, structure)\n"
        "print(result.coords.shape, 'view yaw', result.meta['view_yaw'])"
    ),
    nbf.v4.new_markdown_cell("## 3. Look at it from three angles\nThe model lifts the 2D result to 3D."),
    nbf.v4.new_code_cell(
        "from viz.draw import plot_views, plot_compare, save_figure\n\n"
        "lifted = retarget.lift_3d(result, model)\n"
        "save_figure(plot_views(lifted, azims=(-60, 0, 60), frames=[24]), OUT / 'three_angles.png')\n"
        "save_figure(plot_compare([motion, structure, result], ['motion', 'structure', 'result'], frames=[0, 24]), OUT / 'compare.png')"
    ),
    nbf.v4.new_markdown_cell("## 4. Denoise\nGap filling, outlier and swap repair, then a temporal filter."),
    nbf.v4.new_code_cell(
        "from viz.draw import plot_trajectories\n\n"
        "method = 'learned' if 'learned' in retarget.DENOISE_METHODS else 'savgol'\n"
        "clean = retarget.denoise(motion, method)\n"
        "print(method, 'jitter', round(retarget.jitter(motion.coords, motion.confidence), 3), '->', round(retarget.jitter(clean.coords, clean.confidence), 3))\n"
        "save_figure(plot_trajectories([motion, clean], ['RWrist'], ['raw', method]), OUT / 'denoise.png')"
    ),
    nbf.v4.new_markdown_cell("## 5. Render\nThe retargeted motion on a photo of a person, with the CPU reference renderer."),
    nbf.v4.new_code_cell(
        "report = retarget.render_skeleton(result[:24], MEDIA / 'i03_imper_men1.jpg', OUT / 'rendered.mp4', max_side=256)\n"
        "print(report)"
    ),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
Path(__file__).with_name("tour.ipynb").write_text(nbf.writes(nb))
