"""Reading a rosbag2 folder back in tests (rosbags' Reader)."""


def read_bag(path):
    """{topic: (type, [(stamp ns, message)])} of a rosbag2 folder, via rosbags' Reader."""
    from rosbags.rosbag2 import Reader
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    topics = {}
    with Reader(path) as reader:
        for connection in reader.connections:
            topics.setdefault(connection.topic, (connection.msgtype, []))
        for connection, stamp, data in reader.messages():
            message = store.deserialize_cdr(data, connection.msgtype)
            topics[connection.topic][1].append((stamp, message))
    return topics


def check_stamps(bag):
    """Every topic's stamps are positive and never decrease."""
    for topic, (_, messages) in bag.items():
        stamps = [stamp for stamp, _ in messages]
        assert all(a <= b for a, b in zip(stamps, stamps[1:])), topic
